package handlers

// SetAuditExportLimits shrinks the export cap and batch size so a test can
// cross them with a few hundred rows, and returns the function restoring
// them. Only for tests that do not run in parallel.
func SetAuditExportLimits(exportCap, batch int) (restore func()) {
	oldCap, oldBatch := auditExportCap, auditExportBatch
	auditExportCap, auditExportBatch = exportCap, batch
	return func() { auditExportCap, auditExportBatch = oldCap, oldBatch }
}
