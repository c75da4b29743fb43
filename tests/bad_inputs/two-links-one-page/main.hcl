variable "token" {
  sensitive = true
}
page "a" {
  page_id      = "100000000000001"
  access_token = var.token
}
link "x" {
  page        = page.a.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
link "y" {
  page        = page.a.page_id
  application = "c0ffee00-0000-4000-8000-000000000002"
}
