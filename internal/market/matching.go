package market

import (
	"context"
	"fmt"
	"sort"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// offerOf is the matcher's view of a listing.
func offerOf(l *Listing) Offer {
	return Offer{Product: l.Product, Grade: l.Grade, Quantity: l.Quantity, Unit: l.Unit, PriceFen: l.PriceFen,
		From: parseDay(l.DateFrom), To: parseDay(l.DateTo), Lng: l.Lng, Lat: l.Lat}
}

// ScorePair scores a supply listing against a demand listing.
func ScorePair(supply, demand *Listing) Match { return Score(offerOf(supply), offerOf(demand)) }

// Candidates ranks the open counterpart listings of the same county for listing id, best first (at most limit,
// comparable ones only). Members see candidates for their own listings; readers for listings in their scope.
func (s *Service) Candidates(ctx context.Context, p *auth.Principal, id int64, limit int) (*Listing, []Candidate, error) {
	l, err := s.GetListing(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if isMember(p) && l.SubjectID != p.SubjectID {
		return nil, nil, errNoListing
	}
	other := SideDemand
	if l.Side == SideDemand {
		other = SideSupply
	}
	// Windows that closed before today cannot be met; a subject's own listings are never matched to themselves; only
	// products that contain one another can score (the matcher excludes the rest), so the database drops them first.
	norm := normProduct(l.Product)
	rows, err := s.db.QueryContext(ctx, `SELECT `+listingCols+` FROM market_listings l WHERE l.county_code = ? AND l.side = ? AND l.status = 'open'
		AND l.date_to >= ? AND l.subject_id <> ? AND (l.product LIKE ? ESCAPE '\' OR ? LIKE '%' || l.product || '%')`,
		region.County(l.RegionCode), other, s.today(), l.SubjectID, db.Like(norm), norm)
	if err != nil {
		return nil, nil, fmt.Errorf("candidates: %w", err)
	}
	defer rows.Close()
	var out []Candidate
	var list []*Listing
	for rows.Next() {
		c, err := scanListing(rows)
		if err != nil {
			return nil, nil, err
		}
		var m Match
		if l.Side == SideSupply {
			m = ScorePair(l, c)
		} else {
			m = ScorePair(c, l)
		}
		if m.Excluded {
			continue
		}
		out = append(out, Candidate{Listing: *c, Match: m})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows.Close()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Match.Score != out[j].Match.Score {
			return out[i].Match.Score > out[j].Match.Score
		}
		return out[i].Listing.ID < out[j].Listing.ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		list = append(list, &out[i].Listing)
	}
	return l, out, s.decorateListings(ctx, list)
}
