/*
 * cxx_new_delete.cpp — every form of C++'s operator new and delete, from 4 threads,
 * for the stress suite (tests/long/), with glibc's allocator (jemalloc_mix.cpp is the
 * jemalloc one).
 *
 *   cxx_new_delete keep|free
 *
 * 4 threads each make 200,000 rounds of: plain, array, nothrow, sized and aligned new
 * and delete (alignas(64) and alignas(4096) types, explicit align_val_t calls), a
 * growing std::vector, a std::string, a shared_ptr and a unique_ptr<T[]>. Then the
 * main thread holds a known set (the sizes each form asks operator new for: all types
 * here are trivially destructible, so new[] adds no cookie) and ends as finish.h says:
 * after its line, it asks for HELD_PEAK_BYTES more through operator new and gives it
 * and the set back. That moment is the heap's peak: the heap at exit plus the set plus
 * HELD_PEAK_BYTES, to the byte.
 */
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "finish.h"

#define THREADS 4
#define ROUNDS 200000
#define HELD_PEAK_BYTES 600000011L

struct alignas(64) Line {
    char bytes[200];
};
struct alignas(4096) Page {
    char bytes[5000];
};
struct Small {
    long values[3];
};

/* The compiler may drop a new and delete pair whose pointer goes nowhere: each one
 * here goes to this asm, which the compiler must assume reads it. */
static void escape(const void *pointer)
{
    asm volatile("" : : "g"(pointer) : "memory");
}

static bool aligned_to(const void *pointer, std::size_t alignment)
{
    escape(pointer);
    return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

static void churn(long *misaligned)
{
    long wrong = 0;
    for (int round = 0; round < ROUNDS; round++) {
        Small *small = new Small();
        escape(small);
        delete small; // sized delete
        Line *line = new Line();
        wrong += !aligned_to(line, 64);
        delete line; // sized aligned delete
        Line *lines = new Line[5];
        wrong += !aligned_to(lines, 64);
        delete[] lines;
        if (round % 16 == 0) {
            Page *page = new Page();
            wrong += !aligned_to(page, 4096);
            delete page;
        }
        void *raw = ::operator new(100, std::align_val_t(128));
        wrong += !aligned_to(raw, 128);
        ::operator delete(raw, 100, std::align_val_t(128));
        void *quiet = ::operator new(333, std::nothrow);
        escape(quiet);
        ::operator delete(quiet, std::nothrow);
        void *quiet_aligned = ::operator new[](777, std::align_val_t(256), std::nothrow);
        wrong += quiet_aligned == nullptr || !aligned_to(quiet_aligned, 256);
        ::operator delete[](quiet_aligned, std::align_val_t(256), std::nothrow);
        std::vector<int> grown;
        for (int i = 0; i < 100 + round % 50; i++)
            grown.push_back(i);
        std::string text(40 + round % 100, 'x');
        text += "tail";
        auto shared = std::make_shared<Small>();
        std::unique_ptr<char[]> bytes(new char[500 + round % 300]);
        bytes[0] = text[0];
        escape(bytes.get());
        escape(text.data());
        escape(grown.data());
        escape(shared.get());
        wrong += shared->values[0] != 0;
    }
    *misaligned = wrong;
}

// The held set, each form's size what it asks operator new for.
static Small *held_small;
static Line *held_line, *held_lines;
static Page *held_page;
static void *held_raw, *held_quiet;
static std::vector<int> *held_numbers;
static std::string *held_text;
static long held_wrong;

static long hold_set()
{
    held_small = new Small();                                   // 24
    held_line = new Line();                                     // 256
    held_lines = new Line[7];                                   // 1,792
    held_page = new Page();                                     // 8,192
    held_raw = ::operator new(1000, std::align_val_t(512));     // 1,000
    held_quiet = ::operator new[](3000, std::nothrow);          // 3,000
    held_numbers = new std::vector<int>();                      // 24
    held_numbers->reserve(1000);                                // 4,000
    held_text = new std::string(1000, 'y');                     // 32 + 1,001
    held_wrong = !aligned_to(held_page, 4096) || !aligned_to(held_raw, 512) || held_quiet == nullptr;
    return 24 + 256 + 1792 + 8192 + 1000 + 3000 + 24 + 4000 + 32 + 1001;
}

// finish.h's last step: the peak over the set, then the set given back.
static void release_set()
{
    escape(held_small);
    escape(held_line);
    escape(held_lines);
    escape(held_numbers->data());
    escape(held_text->data());
    void *peak = ::operator new(static_cast<std::size_t>(HELD_PEAK_BYTES));
    static_cast<char *>(peak)[0] = 1;
    escape(peak);
    ::operator delete(peak);
    delete held_text;
    delete held_numbers;
    ::operator delete[](held_quiet, std::nothrow);
    ::operator delete(held_raw, std::align_val_t(512));
    delete held_page;
    delete[] held_lines;
    delete held_line;
    delete held_small;
}

int main(int argc, char **argv)
{
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 2) {
        std::fprintf(stderr, "usage: cxx_new_delete keep|free\n");
        return 2;
    }
    long misaligned[THREADS] = { 0 };
    {
        std::vector<std::thread> threads;
        for (int t = 0; t < THREADS; t++)
            threads.emplace_back(churn, &misaligned[t]);
        for (auto &thread : threads)
            thread.join();
    }
    long wrong = 0;
    for (long count : misaligned)
        wrong += count;

    long held = hold_set();
    wrong += held_wrong;
    finish_last = release_set;

    char result[160];
    std::snprintf(result, sizeof(result), "cxx_new_delete: %d threads x %d rounds, %ld wrong; held %ld bytes under a peak of %ld",
                  THREADS, ROUNDS, wrong, held, HELD_PEAK_BYTES);
    finish_and_exit(result, keep, wrong ? 1 : 0);
}
