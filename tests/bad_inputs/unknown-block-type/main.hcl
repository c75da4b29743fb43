resource "x" "y" {
}
