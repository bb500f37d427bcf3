package handlers

// maxEmailBytes is the longest email address there can be (RFC 5321 limits a
// path to 256 octets, 254 without its angle brackets). A longer "email" at
// sign-in is refused before it reaches the throttle table or an audit row.
const maxEmailBytes = 254

const emailTooLong = "That email is longer than an email address can be (254 characters). Check it and try again."

// maxPathBytes caps a request path recorded in an audit row.
const maxPathBytes = 512
