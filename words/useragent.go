package words

import (
	"strconv"
	"strings"

	"github.com/mileusna/useragent"
)

// Browser names a user agent's browser and operating system, such as "Chrome
// 126" and "macOS", for people deciding whether they recognise a session.
// Versions are left out where browsers freeze them (macOS is always
// "10.15.7", Windows 11 says "10.0").
func Browser(ua string) (browser, system string) {
	if strings.TrimSpace(ua) == "" {
		return "Unknown browser", "Unknown system"
	}
	p := useragent.Parse(ua)
	browser = p.Name
	if browser == "" {
		browser = "Unknown browser"
	} else if p.VersionNo.Major > 0 {
		browser += " " + strconv.Itoa(p.VersionNo.Major)
	}
	switch p.OS {
	case "":
		system = "Unknown system"
	case useragent.MacOS, useragent.Windows, useragent.Linux, useragent.ChromeOS:
		system = p.OS
	default:
		system = p.OS
		if v := p.OSVersionNo.Major; v > 0 {
			system += " " + strconv.Itoa(v)
		}
	}
	if p.Device != "" && (p.Mobile || p.Tablet) {
		system += " (" + p.Device + ")"
	}
	return browser, system
}

// BrowserOn is Browser in one phrase, "Firefox 128 on Windows", or the start
// of a user agent it cannot read (the full one belongs in a title or detail).
func BrowserOn(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return "Unknown browser"
	}
	browser, system := Browser(ua)
	switch {
	case strings.HasPrefix(browser, "Unknown"):
		return Shorten(ua, 40)
	case strings.HasPrefix(system, "Unknown"):
		return browser
	}
	return browser + " on " + system
}

// APIClient names what an API client session runs on, for the session
// lists: "API client" and the program its user agent says it is ("curl 8",
// "python-requests 2"), or "an unnamed program".
func APIClient(ua string) (kind, program string) {
	if strings.TrimSpace(ua) != "" {
		p := useragent.Parse(ua)
		program = p.Name
		if program != "" && p.VersionNo.Major > 0 {
			program += " " + strconv.Itoa(p.VersionNo.Major)
		}
	}
	if program == "" {
		program = "an unnamed program"
	}
	return "API client", program
}
