// Package e2e drives Curfew in headless Chromium (Debian's chromium package)
// through the flows a person clicks: sign-in, the security page, sign-out.
package e2e
