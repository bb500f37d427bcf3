package handlers

import (
	"strconv"
	"strings"

	"github.com/mileusna/useragent"
)

// describeUserAgent names a session's browser and operating system in words,
// such as "Chrome 126" and "macOS", for people deciding whether they
// recognise a session. Versions are left out where browsers freeze them
// (macOS is always "10.15.7", Windows 11 says "10.0").
func describeUserAgent(ua string) (browser, system string) {
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
