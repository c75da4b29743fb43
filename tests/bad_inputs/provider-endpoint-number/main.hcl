provider "vonage" {
  endpoint = 42
}
