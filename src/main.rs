fn main() -> std::process::ExitCode {
    aiwebengine::cli::main()
}
