package credit

// PeerEdgesForTest builds ratings (rater, ratee, score) for PeerResultOf in tests.
func PeerEdgesForTest(l [][3]int64) []edge {
	out := make([]edge, len(l))
	for i, x := range l {
		out[i] = edge{x[0], x[1], int(x[2])}
	}
	return out
}
