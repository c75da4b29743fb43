variable "token" {
  sensitive = true
}

page "region" {
  count        = 2
  for_each     = toset(["emea", "apac"])
  page_id      = "107100000000001"
  access_token = var.token
}

# No "unknown page" here: the block above is declared, with an error.
link "bot" {
  page        = page.region["emea"].page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
