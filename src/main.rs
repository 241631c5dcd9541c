// The run allocates many small texts per record; mimalloc serves them
// much faster than the system allocator across threads.
//#[global_allocator]
//static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    anskaff::cli::main()
}
