package supply

// SetBeforeTransferIn lets tests make the in-side of a transfer fail.
func SetBeforeTransferIn(s *Service, f func() error) { s.beforeTransferIn = f }

// ParseTiers exposes the page's tier parser to the fuzz test.
var ParseTiers = parseTiers
