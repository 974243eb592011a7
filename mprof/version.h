/*
 * version.h — mprof's version, which `mprof --version` and each subcommand's --version
 * print (the Makefile reads it from here for the Python package's metadata).
 */
#ifndef MPROF_VERSION_H
#define MPROF_VERSION_H

#ifndef MPROF_VERSION
#define MPROF_VERSION "0.1.0"
#endif

#endif
