package handlers

// SafeReturnTo is safeReturnTo, for the table and fuzz tests of return_to.
var SafeReturnTo = safeReturnTo
