package handlers

// auditFilterMessages are the page's words for bad filters: what to do,
// beside the field, rather than the API's terse rule ("must be one of: …").
// before and limit come only from an edited address; the page says so.
func auditFilterMessages(errs map[string]string) map[string]string {
	if errs == nil {
		return nil
	}
	out := make(map[string]string, len(errs))
	for f, rule := range errs {
		switch f {
		case "action":
			out[f] = "That is not an event type the log records. Choose one from the list."
		case "actor":
			out[f] = "That is not a person the log can show. Choose one from the list."
		case "from":
			out[f] = "Enter the first day as a date, for example 2026-03-10."
		case "to":
			if errs["from"] == "" && rule == "must not be before from" {
				out[f] = "The last day is before the first day. Choose a later date, or swap them."
			} else {
				out[f] = "Enter the last day as a date, for example 2026-03-17."
			}
		default:
			out[f] = rule
		}
	}
	return out
}
