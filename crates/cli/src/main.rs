fn main() {
    println!("muxlink");
}
