package supervision_test

import (
	"time"

	"nongfu/internal/indicator"
	"nongfu/internal/registry"
)

func registryInput(kind, name, region string) registry.SubjectInput {
	return registry.SubjectInput{Kind: &kind, Name: &name, RegionCode: &region}
}

func indicatorQuery(prefix string, from, to time.Time) indicator.Query {
	return indicator.Query{RegionPrefix: prefix, From: from, To: to}
}
