// Package testenv is the base environment the rooms' tests share: a migrated database with the region tree
// loaded, a registry of subjects under a fresh PII key, a county administrator of 巫山县, and valid ID numbers and
// credit codes for new subjects. It is for tests only.
package testenv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/migrations"
	"nongfu/internal/platform/pii"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/validate"
)

// County is 巫山县, the county the tests work in.
const County = "500237000000"

// Env is a database with the platform, region and registry rooms migrated and initialised.
type Env struct {
	T       testing.TB
	D       *db.DB
	Regions *region.Service
	Reg     *registry.Service
	Box     *pii.Box
	Admin   *auth.Principal  // county administrator of County, user 1
	Towns   []*region.Region // townships of County that have villages, in tree order
	Seq     int              // the last number IDNumber or CreditCode used
}

// Regions migrates the platform and region rooms and then extra, in that order, and loads the region tree.
func Regions(t testing.TB, d *db.DB, extra ...db.Migrations) *region.Service {
	t.Helper()
	ctx := context.Background()
	if err := d.Migrate(ctx, append([]db.Migrations{migrations.Platform, region.Migrations}, extra...)...); err != nil {
		t.Fatal(err)
	}
	regions := region.NewService(d)
	if err := regions.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return regions
}

// New migrates the platform, region and registry rooms and then extra, loads the regions and starts the registry
// under a fresh PII key.
func New(t testing.TB, d *db.DB, extra ...db.Migrations) *Env {
	t.Helper()
	return NewKey(t, d, pii.NewKey(), extra...)
}

// NewKey is New under the given PII key.
func NewKey(t testing.TB, d *db.DB, key []byte, extra ...db.Migrations) *Env {
	t.Helper()
	regions := Regions(t, d, append([]db.Migrations{registry.Migrations}, extra...)...)
	box, err := pii.New(key)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.NewService(d, regions, box)
	if err := reg.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, D: d, Regions: regions, Reg: reg, Box: box,
		Admin: &auth.Principal{UserID: 1, Username: "admin", Role: auth.CountyAdmin, Scopes: []string{County}}}
	prefix := County[:6]
	for _, tw := range regions.Townships() {
		if strings.HasPrefix(tw.Code, prefix) && len(regions.Children(tw.Code)) > 0 {
			e.Towns = append(e.Towns, tw)
		}
	}
	return e
}

// Village is the first village of township town (an index into Towns).
func (e *Env) Village(town int) string { return e.Regions.Children(e.Towns[town].Code)[0].Code }

// IDNumber is the next valid ID number of a person born in 1980 in 巫山县.
func (e *Env) IDNumber() string {
	e.T.Helper()
	e.Seq++
	first17 := fmt.Sprintf("500237198001%02d%03d", 1+e.Seq%28, e.Seq%1000)
	c, err := validate.IDNumberCheckChar(first17)
	if err != nil {
		e.T.Fatal(err)
	}
	return first17 + string(c)
}

// CreditCode is the next valid unified social credit code of an organisation in 巫山县.
func (e *Env) CreditCode() string {
	e.T.Helper()
	e.Seq++
	first17 := fmt.Sprintf("93500237%09d", e.Seq)
	c, err := validate.CreditCodeCheckChar(first17)
	if err != nil {
		e.T.Fatal(err)
	}
	return first17 + string(c)
}

// Household is the input for a household named name in village with the next ID number.
func (e *Env) Household(name, village string) registry.SubjectInput {
	e.T.Helper()
	return registry.SubjectInput{Kind: Ptr("household"), Name: &name, IDNumber: Ptr(e.IDNumber()), RegionCode: &village}
}

// Org is the input for an organisation of kind named name in village with the next credit code.
func (e *Env) Org(kind, name, village string) registry.SubjectInput {
	e.T.Helper()
	return registry.SubjectInput{Kind: &kind, Name: &name, CreditCode: Ptr(e.CreditCode()), RegionCode: &village}
}

// Create registers a subject as Admin; the test fails if it cannot.
func (e *Env) Create(in registry.SubjectInput) *registry.Subject {
	e.T.Helper()
	x, err := e.Reg.Create(context.Background(), e.Admin, in)
	if err != nil {
		e.T.Fatalf("create subject: %v", err)
	}
	return x
}

// Ptr points at a copy of v.
func Ptr[T any](v T) *T { return &v }
