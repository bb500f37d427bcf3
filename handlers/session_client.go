package handlers

import (
	"curfew/store"
	"curfew/words"
)

// describeSession names what a session runs on: the browser and system of a
// browser session, or "API client" and its program for a token session.
func describeSession(client, ua string) (browser, system string) {
	if client == store.ClientAPI {
		return words.APIClient(ua)
	}
	return words.Browser(ua)
}
