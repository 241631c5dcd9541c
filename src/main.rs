fn main() -> std::process::ExitCode {
    anskaff::cli::main()
}
