fn main() -> std::process::ExitCode {
    socialform::cli::main()
}
