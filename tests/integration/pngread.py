#!/usr/bin/env python3
"""tests/integration/pngread.py — what the plot tests read from a PNG, without an imaging
library: its size, and the horizontal runs of dark pixels (text, axes, underscores).

    pngread.py size FILE                 -> "WIDTH HEIGHT"
    pngread.py runs FILE MIN MAX [TOP]   -> "ROW COLUMN LENGTH" for each run of dark
                                            pixels MIN..MAX long (rows from TOP down)
    pngread.py box FILE [TOP BOTTOM]     -> "LEFT TOP RIGHT BOTTOM" of the dark pixels
                                            (in rows TOP..BOTTOM)
    pngread.py count FILE RRGGBB...      -> how many pixels are each colour, a line each

Dark: every channel below 100 (black text and axes; not the grey grid, red or orange
lines). Reads 8-bit grey, RGB, RGBA and palette PNGs, as gnuplot's cairo writes them.
"""
import struct
import sys
import zlib


def read_png(path, want_colours=False):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('%s: not a PNG' % path)
    pos, idat, palette = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif kind == b'PLTE':
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    if depth != 8 or interlace:
        sys.exit('%s: depth %d interlace %d not read here' % (path, depth, interlace))
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line

    def rgb(line, x):
        """The pixel's (r, g, b), None where it is transparent."""
        if colour == 3:
            return tuple(palette[line[x]])
        if colour in (0, 4):
            if colour == 4 and line[x * channels + 1] == 0:
                return None
            return (line[x * channels],) * 3
        if colour == 6 and line[x * channels + 3] < 128:
            return None
        return tuple(line[x * channels:x * channels + 3])

    def dark(line, x):
        pixel = rgb(line, x)
        return pixel is not None and max(pixel) < 100
    if want_colours:
        return width, height, [[rgb(line, x) for x in range(width)] for line in rows]
    return width, height, [[dark(line, x) for x in range(width)] for line in rows]


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == 'count':
        # count FILE RRGGBB...: how many pixels are each colour, one count a line
        _, _, pixels = read_png(path, want_colours=True)
        for wanted in sys.argv[3:]:
            value = tuple(int(wanted[i:i + 2], 16) for i in (0, 2, 4))
            print(sum(row.count(value) for row in pixels))
        return
    width, height, dark = read_png(path)
    if command == 'size':
        print(width, height)
    elif command == 'runs':
        low, high = int(sys.argv[3]), int(sys.argv[4])
        top = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        for y in range(top, height):
            x = 0
            while x < width:
                if not dark[y][x]:
                    x += 1
                    continue
                start = x
                while x < width and dark[y][x]:
                    x += 1
                if low <= x - start <= high:
                    print(y, start, x - start)
    elif command == 'box':
        top = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        bottom = int(sys.argv[4]) if len(sys.argv) > 4 else height - 1
        points = [(x, y) for y in range(top, min(bottom, height - 1) + 1)
                  for x in range(width) if dark[y][x]]
        if points:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            print(min(xs), min(ys), max(xs), max(ys))
    else:
        sys.exit('unknown command ' + command)


main()
