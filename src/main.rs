fn main() {
    std::process::exit(billfold::cli::main());
}
