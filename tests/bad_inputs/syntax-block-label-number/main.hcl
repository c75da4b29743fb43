page 12 {
  page_id = "1"
}
