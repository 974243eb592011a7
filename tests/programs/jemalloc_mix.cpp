/*
 * jemalloc_mix.cpp — a C++ program linked with jemalloc that uses its whole API and
 * every form of operator new and delete, for the integration tests (built by them:
 * g++ -O2 -std=c++17 jemalloc_mix.cpp -ljemalloc).
 *
 *   jemalloc_mix keep|free
 *
 * Churns 100 rounds of 1,000 objects aligned to 64 (alignas(64), 256 bytes each) and
 * blocks from mallocx/rallocx/xallocx, checking what each returns, then leaves live at
 * exit, with `keep`: an array of 10 of the aligned objects (2,560 B), a mallocx block
 * of 123,456 B grown by rallocx to 234,567 B, one plain `new` of 1,000 B and one
 * nothrow new[] of 3,000 B: 241,127 B in all; with `free`, nothing of these.
 */
#include <jemalloc/jemalloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

struct alignas(64) Aligned {
    char bytes[200];
};

static void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "jemalloc_mix: %s\n", what);
        std::exit(1);
    }
}

int main(int argc, char **argv)
{
    check(argc == 2 && (!std::strcmp(argv[1], "keep") || !std::strcmp(argv[1], "free")),
          "usage: jemalloc_mix keep|free");
    bool keep = !std::strcmp(argv[1], "keep");
    for (int round = 0; round < 100; round++) {
        Aligned *objects[1000];
        for (auto &object : objects) {
            object = new Aligned();
            check(reinterpret_cast<std::uintptr_t>(object) % 64 == 0, "new Aligned: not aligned");
        }
        for (auto &object : objects)
            delete object;  // sized aligned delete
        Aligned *array = new Aligned[3];
        delete[] array;
        void *plain = ::operator new(100, std::nothrow);
        ::operator delete(plain, std::nothrow);
        void *sized = ::operator new(48);
        ::operator delete(sized, 48);

        void *zeroed = mallocx(5000, MALLOCX_ZERO | MALLOCX_LG_ALIGN(12));
        check(zeroed != nullptr && reinterpret_cast<std::uintptr_t>(zeroed) % 4096 == 0,
              "mallocx: not aligned to 4096");
        for (size_t i = 0; i < 5000; i++)
            check(static_cast<unsigned char *>(zeroed)[i] == 0, "mallocx: not zeroed");
        check(sallocx(zeroed, 0) >= 5000, "sallocx: under the size asked");
        check(nallocx(5000, MALLOCX_LG_ALIGN(12)) >= 5000, "nallocx: under the size asked");
        std::memset(zeroed, 7, 5000);
        void *grown = rallocx(zeroed, 9000, MALLOCX_LG_ALIGN(12));
        check(grown != nullptr && reinterpret_cast<std::uintptr_t>(grown) % 4096 == 0 &&
                  static_cast<unsigned char *>(grown)[4999] == 7,
              "rallocx: alignment or bytes lost");
        check(xallocx(grown, 20000, 0, 0) >= 9000, "xallocx: under the size it had");
        sdallocx(grown, 9000, MALLOCX_LG_ALIGN(12));
        void *plain_x = mallocx(300, 0);
        check(plain_x != nullptr, "mallocx: NULL");
        plain_x = rallocx(plain_x, 600, 0);
        check(plain_x != nullptr, "rallocx: NULL");
        dallocx(plain_x, 0);
        void *from_malloc = std::malloc(700);
        sdallocx(from_malloc, 700, 0);  // malloc's block, jemalloc's free
        void *from_mallocx = mallocx(800, 0);
        std::free(from_mallocx);        // and the other way round
    }
    if (keep) {
        static Aligned *kept_array = new Aligned[10];
        void *block = mallocx(123456, 0);
        static void *kept_block = rallocx(block, 234567, 0);
        static void *kept_plain = ::operator new(1000);
        static char *kept_nothrow = new (std::nothrow) char[3000];
        check(kept_array && kept_block && kept_plain && kept_nothrow, "keep: NULL");
    }
    std::puts("jemalloc_mix: done");
    return 0;
}
