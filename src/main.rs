fn main() {
    println!("socialform");
}
