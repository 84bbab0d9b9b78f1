package books

import (
	"math/big"
	"sort"
)

// Allocate splits total 分 over weights in proportion, exactly: each part is the floor of its exact share, and the
// 分 left over go one each to the largest remainders (ties to the earlier index), so the parts always sum to total
// (the largest-remainder method). Zero or negative weights get nothing; when no weight is positive everything is
// zero and ok is false. The products are computed in big integers: 分 totals times 分 weights overflow int64.
func Allocate(total int64, weights []int64) (parts []int64, ok bool) {
	parts = make([]int64, len(weights))
	sum := new(big.Int)
	for _, w := range weights {
		if w > 0 {
			sum.Add(sum, big.NewInt(w))
		}
	}
	if sum.Sign() == 0 || total == 0 {
		return parts, sum.Sign() != 0
	}
	neg := total < 0
	t := total
	if neg {
		t = -t
	}
	type rem struct {
		i int
		r *big.Int
	}
	rems := make([]rem, 0, len(weights))
	var given int64
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		num := new(big.Int).Mul(big.NewInt(t), big.NewInt(w))
		q, r := new(big.Int).QuoRem(num, sum, new(big.Int))
		parts[i] = q.Int64()
		given += parts[i]
		rems = append(rems, rem{i, r})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r.Cmp(rems[b].r) > 0 })
	for k := 0; given < t; k++ {
		parts[rems[k%len(rems)].i]++
		given++
	}
	if neg {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts, true
}
