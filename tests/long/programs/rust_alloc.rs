// rust_alloc.rs — a Rust program's allocations (Rust's default allocator is the C
// library's malloc family), from 4 threads, for the stress suite (tests/long/).
//
//     rust_alloc keep|free
//
// 4 threads each make 100,000 rounds of Vec growth, Box, String, a HashMap and raw
// allocations through std::alloc with alignments 64 and 4096 (which Rust gets from
// posix_memalign). Then, as the C programs' finish.h does, with `keep` it keeps 100
// blocks of 1,000 + 37 i bytes (283,150 B, and the 2,400 B list of them) to the end,
// and prints its line. Last, it holds a known set of exact capacities, asks for
// HELD_PEAK_BYTES more (never touched), gives all of it back and exits by _exit
// (no cleanup or thread-local destructor frees anything after it): that moment is the heap's peak, the heap at exit plus the set plus
// HELD_PEAK_BYTES, to the byte.
use std::alloc::{alloc, dealloc, Layout};
use std::collections::HashMap;
use std::io::Write;
use std::thread;

const THREADS: usize = 4;
const ROUNDS: usize = 100_000;
const HELD_PEAK_BYTES: usize = 600_000_011;
// The held set below: capacities 1,000 + 800 + 333 + 5,000 (aligned to 4096).
const HELD_BYTES: usize = 7133;

// The optimizer may drop an allocation whose pointer goes nowhere: each one here is
// written to a volatile place, which it must assume is read.
static mut SINK: usize = 0;
fn escape<T>(pointer: *const T) {
    unsafe { std::ptr::write_volatile(std::ptr::addr_of_mut!(SINK), pointer as usize) };
}

fn churn(seed: usize) -> usize {
    let mut wrong = 0;
    let mut map: HashMap<usize, String> = HashMap::new();
    for round in 0..ROUNDS {
        let mut numbers: Vec<u32> = Vec::new();
        for i in 0..(50 + round % 100) {
            numbers.push(i as u32);
        }
        let boxed = Box::new([round as u64; 20]);
        let text = format!("{}-{}", seed, round);
        map.insert(round % 64, text.clone());
        for (alignment, size) in [(64usize, 200usize), (4096, 5000)] {
            let layout = Layout::from_size_align(size, alignment).unwrap();
            unsafe {
                let block = alloc(layout);
                if block.is_null() || (block as usize) % alignment != 0 {
                    wrong += 1;
                } else {
                    *block = round as u8;
                    dealloc(block, layout);
                }
            }
        }
        wrong += (numbers.len() != 50 + round % 100) as usize + (boxed[19] != round as u64) as usize;
    }
    drop(map);
    wrong
}

extern "C" {
    fn _exit(status: i32) -> !;
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let keep = match args.get(1).map(|mode| mode.as_str()) {
        Some("keep") if args.len() == 2 => true,
        Some("free") if args.len() == 2 => false,
        _ => {
            eprintln!("usage: rust_alloc keep|free");
            std::process::exit(2);
        }
    };
    let handles: Vec<_> = (0..THREADS).map(|seed| thread::spawn(move || churn(seed))).collect();
    let mut wrong: usize = handles.into_iter().map(|handle| handle.join().unwrap()).sum();
    drop(args);

    let mut kept: Vec<Vec<u8>> = Vec::new();
    let mut kept_bytes = 0;
    if keep {
        kept.reserve_exact(100);
        for i in 0..100 {
            let size = 1000 + 37 * i;
            let mut block: Vec<u8> = Vec::with_capacity(size);
            block.resize(size, i as u8);
            kept.push(block);
            kept_bytes += size;
        }
        kept_bytes += 100 * std::mem::size_of::<Vec<u8>>(); // the list that holds them
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "rust_alloc: {} threads x {} rounds, {} wrong; held {} bytes under a peak of {}; kept {} bytes",
             THREADS, ROUNDS, wrong, HELD_BYTES, HELD_PEAK_BYTES, kept_bytes).unwrap();
    out.flush().unwrap();
    drop(out);
    // The held set, each an exact capacity: 1,000 + 800 + 333 + 5,000 (align 4096).
    let bytes: Vec<u8> = Vec::with_capacity(1000);
    let boxed = Box::new([7u64; 100]);
    let text = String::with_capacity(333);
    let page_layout = Layout::from_size_align(5000, 4096).unwrap();
    let page = unsafe { alloc(page_layout) };
    wrong += page.is_null() as usize + (bytes.capacity() != 1000) as usize + (text.capacity() != 333) as usize;
    if wrong != 0 {
        eprintln!("rust_alloc: {} wrong", wrong);
    }
    let peak: Vec<u8> = Vec::with_capacity(HELD_PEAK_BYTES);
    escape(peak.as_ptr());
    drop(peak);
    unsafe { dealloc(page, page_layout) };
    escape(bytes.as_ptr());
    escape(&*boxed);
    escape(text.as_ptr());
    drop(bytes);
    drop(boxed);
    drop(text);

    std::mem::forget(kept);
    // _exit, not std::process::exit or the C library's exit: Rust's cleanup (stdout's
    // buffer) and the main thread's thread-local destructors would free bytes after the
    // peak. Stdout is flushed already.
    unsafe { _exit(if wrong == 0 { 0 } else { 1 }) }
}
