link "l" {
  page        = page.nope.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
