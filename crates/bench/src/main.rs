fn main() {
    println!("muxlink-bench");
}
