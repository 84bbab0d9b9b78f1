// Package region is the region tree 省/市 → 区县 → 乡镇(街道) → 村(社区) with 12-digit statistical division codes.
// The tree is reference data: it is loaded from the embedded data file into the regions table once, and kept in
// memory for lookups (a province is ~15,000 rows).
package region

import (
	"bufio"
	"context"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

//go:embed data/wushan.tsv
var wushanTSV string

// Migrations is the room's schema.
var Migrations = db.RoomMigrations("region", migrationsFS, "migrations")

// Levels of the tree.
const (
	LevelProvince = "province"
	LevelCity     = "city"
	LevelCounty   = "county"
	LevelTownship = "township"
	LevelVillage  = "village"
)

// LevelLabel is the Chinese name of a level.
func LevelLabel(l string) string {
	switch l {
	case LevelProvince:
		return "省/直辖市"
	case LevelCity:
		return "市"
	case LevelCounty:
		return "区县"
	case LevelTownship:
		return "乡镇(街道)"
	case LevelVillage:
		return "村(社区)"
	}
	return l
}

// Region is one node of the tree.
type Region struct {
	Code       string  `json:"code" doc:"12位统计用区划代码"`
	Name       string  `json:"name"`
	Level      string  `json:"level" doc:"province, city, county, township, village"`
	ParentCode string  `json:"parent_code"`
	Lng        float64 `json:"lng"`
	Lat        float64 `json:"lat"`
	FullName   string  `json:"full_name" doc:"县以下的完整名称，如 巫山县大昌镇七星村"`
}

// Service answers questions about the tree.
type Service struct {
	// Counter, when set by the application, tells the tree page how many subjects each region holds (per 12-digit
	// code, only what p may see); the register provides it, and region stays independent of the register.
	Counter func(ctx context.Context, p *auth.Principal, prefix string) (map[string]int, error)

	db       *db.DB
	mu       sync.RWMutex
	byCode   map[string]*Region
	children map[string][]*Region
}

// NewService returns a service on d; call Load before use.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// Parent computes the parent code from a code.
func Parent(code string) string {
	switch p := auth.RegionPrefix(code); len(p) {
	case 12:
		return code[:9] + "000"
	case 9:
		return code[:6] + "000000"
	case 6:
		return code[:4] + "00000000"
	case 4:
		return code[:2] + "0000000000"
	}
	return ""
}

// Load seeds the table from the embedded data when it is empty and builds the in-memory index.
func (s *Service) Load(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions`).Scan(&n); err != nil {
		return fmt.Errorf("count regions: %w", err)
	}
	if n == 0 {
		rows, err := parseTSV(wushanTSV)
		if err != nil {
			return err
		}
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			st, err := tx.Prepare(ctx, `INSERT INTO regions (code, name, level, parent_code, lng, lat) VALUES (?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, r := range rows {
				if _, err := st.ExecContext(ctx, r.Code, r.Name, r.Level, r.ParentCode, r.Lng, r.Lat); err != nil {
					return fmt.Errorf("insert region %s: %w", r.Code, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed regions: %w", err)
		}
	}
	rs, err := s.db.QueryContext(ctx, `SELECT code, name, level, parent_code, lng, lat FROM regions ORDER BY code`)
	if err != nil {
		return fmt.Errorf("load regions: %w", err)
	}
	defer rs.Close()
	byCode := map[string]*Region{}
	children := map[string][]*Region{}
	var all []*Region
	for rs.Next() {
		r := &Region{}
		if err := rs.Scan(&r.Code, &r.Name, &r.Level, &r.ParentCode, &r.Lng, &r.Lat); err != nil {
			return err
		}
		byCode[r.Code] = r
		all = append(all, r)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	for _, r := range all {
		children[r.ParentCode] = append(children[r.ParentCode], r)
	}
	for _, r := range all {
		r.FullName = fullName(byCode, r)
	}
	s.mu.Lock()
	s.byCode, s.children = byCode, children
	s.mu.Unlock()
	return nil
}

func fullName(by map[string]*Region, r *Region) string {
	var parts []string
	for c := r; c != nil; c = by[c.ParentCode] {
		parts = append(parts, c.Name)
		if c.Level == LevelCounty {
			break
		}
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "")
}

func parseTSV(s string) ([]Region, error) {
	var out []Region
	sc := bufio.NewScanner(strings.NewReader(s))
	line := 0
	for sc.Scan() {
		line++
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 5 {
			return nil, fmt.Errorf("region data line %d: want 5 fields", line)
		}
		lng, _ := strconv.ParseFloat(f[3], 64)
		lat, _ := strconv.ParseFloat(f[4], 64)
		out = append(out, Region{Code: f[0], Name: f[1], Level: f[2], ParentCode: Parent(f[0]), Lng: lng, Lat: lat})
	}
	return out, sc.Err()
}

// Get returns a region by code.
func (s *Service) Get(code string) (*Region, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byCode[code]
	return r, ok
}

// Name returns the full name of a code below the county ("巫山县大昌镇七星村"), or the code itself.
func (s *Service) Name(code string) string {
	if r, ok := s.Get(code); ok {
		return r.FullName
	}
	return code
}

// ShortName returns the region's own name.
func (s *Service) ShortName(code string) string {
	if r, ok := s.Get(code); ok {
		return r.Name
	}
	return code
}

// Children returns the direct children of code, ordered by code.
func (s *Service) Children(code string) []*Region {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.children[code]
}

// Ancestors returns the path from the root to code (inclusive).
func (s *Service) Ancestors(code string) []*Region {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Region
	for r := s.byCode[code]; r != nil; r = s.byCode[r.ParentCode] {
		out = append([]*Region{r}, out...)
	}
	return out
}

// Counties returns every county-level region.
func (s *Service) Counties() []*Region { return s.ofLevel(LevelCounty) }

// Townships returns every township-level region.
func (s *Service) Townships() []*Region { return s.ofLevel(LevelTownship) }

// Villages returns every village-level region.
func (s *Service) Villages() []*Region { return s.ofLevel(LevelVillage) }

func (s *Service) ofLevel(level string) []*Region {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Region
	for _, r := range s.byCode {
		if r.Level == level {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Township returns the township code of a village or township code.
func Township(code string) string {
	if len(code) != 12 {
		return ""
	}
	return code[:9] + "000"
}

// County returns the 6-digit county code (the tenancy key) of any code at or below a county.
func County(code string) string {
	if len(code) < 6 {
		return ""
	}
	return code[:6]
}

// Validate checks that code exists and is at least as deep as minLevel (township or village); the message is
// for the user.
func (s *Service) Validate(code, minLevel string) error {
	code = strings.TrimSpace(code)
	r, ok := s.Get(code)
	if !ok {
		return apperr.New(apperr.Invalid, "区划代码不存在："+code)
	}
	if minLevel == LevelVillage && r.Level != LevelVillage {
		return apperr.New(apperr.Invalid, "请选择到村（社区）一级")
	}
	if minLevel == LevelTownship && r.Level != LevelTownship && r.Level != LevelVillage {
		return apperr.New(apperr.Invalid, "请选择到乡镇（街道）或村（社区）一级")
	}
	return nil
}

// Visible filters regions to those p may see: its scope, its scope's ancestors (to browse down) and descendants.
func Visible(p *auth.Principal, r *Region) bool {
	if p.Is(auth.CountyAdmin, auth.Sysadmin, auth.Department, auth.Taskforce, auth.Viewer, auth.Bank) && len(p.Scopes) == 0 {
		return true
	}
	for _, sc := range p.Scopes {
		pre := auth.RegionPrefix(sc)
		if strings.HasPrefix(r.Code, pre) || strings.HasPrefix(sc, auth.RegionPrefix(r.Code)) {
			return true
		}
	}
	return len(p.Scopes) == 0
}

// Search finds regions whose name contains q (for pickers), at most limit.
func (s *Service) Search(q string, limit int) []*Region {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Region
	for _, r := range s.byCode {
		if strings.Contains(r.FullName, q) || strings.HasPrefix(r.Code, q) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
