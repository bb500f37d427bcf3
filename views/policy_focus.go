package views

// focusFirst reports whether field is the first with an error, in the order
// of the page: after a failed save the focus goes there, beside its message,
// rather than up to the summary (which is still announced as an alert).
func (m PolicyCard) focusFirst(field string) bool {
	o := m.errorOrder()
	return len(o) > 0 && o[0] == field
}
