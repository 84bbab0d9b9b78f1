package vrp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const tsplibSeed = `NAME : tiny
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 -3 4
4 0 -5
DEMAND_SECTION
1 0
2 4
3 5
4 6
DEPOT_SECTION
1
-1
EOF
`

const solomonSeed = `TINY

VEHICLE
NUMBER     CAPACITY
  3         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0         0          0          0       100          0
    1      3         4          4          0        50          2
    2     -3         4          5         10        60          2
    3      0        -5          6          0        90          2
`

// addShipped adds the shipped benchmark files of a folder to the seed corpus, when they are there.
func addShipped(f *testing.F, sub, ext string) {
	files, _ := filepath.Glob(filepath.Join(benchDir, sub, "*"+ext))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// checkParsed: whatever a reader accepts is a valid problem that the solver can take.
func checkParsed(t *testing.T, p *Problem) {
	if err := p.Validate(); err != nil {
		t.Fatalf("reader accepted an invalid problem: %v", err)
	}
	if len(p.Nodes) <= 12 {
		sol, err := Solve(context.Background(), *p, Options{TimeLimit: time.Second, MaxIterations: 5, Seed: 1})
		if err != nil {
			t.Fatalf("solve: %v", err)
		}
		if _, err := Verify(p, sol.Routes); sol.Feasible && err != nil {
			t.Fatalf("feasible but %v", err)
		}
	}
}

func FuzzReadTSPLIB(f *testing.F) {
	f.Add([]byte(tsplibSeed))
	f.Add([]byte("CAPACITY : 5\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nDEMAND_SECTION\n2 3\nEOF\n"))
	f.Add([]byte("NODE_COORD_SECTION\n1 0 0\n"))
	f.Add([]byte("DIMENSION : -3\n"))
	addShipped(f, "cvrp", ".vrp")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadTSPLIB(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkParsed(t, p)
	})
}

func FuzzReadSolomon(f *testing.F) {
	f.Add([]byte(solomonSeed))
	f.Add([]byte("X\nVEHICLE\nNUMBER CAPACITY\n 1 5\n 0 0 0 0 0 10 0\n 1 1 1 9 0 10 0\n"))
	f.Add([]byte("NUMBER\n"))
	addShipped(f, "vrptw", ".txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadSolomon(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkParsed(t, p)
	})
}

func TestReadSeeds(t *testing.T) {
	p, err := ReadTSPLIB(bytes.NewReader([]byte(tsplibSeed)))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 4 || p.Capacity != 10 || p.Nodes[3].Demand != 6 || p.Distance(0, 1) != 5 {
		t.Fatalf("%+v", p)
	}
	sol, err := Solve(context.Background(), *p, Options{TimeLimit: time.Second, MaxIterations: 50, Seed: 1})
	if err != nil || !sol.Feasible || sol.Cost != 26 || len(sol.Routes) != 2 {
		t.Fatalf("tiny CVRP: %+v %v", sol, err)
	}
	q, err := ReadSolomon(bytes.NewReader([]byte(solomonSeed)))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Nodes) != 4 || q.Vehicles != 3 || q.Nodes[2].Ready != 10 || q.Nodes[2].Service != 2 || !q.HasTimeWindows() {
		t.Fatalf("%+v", q)
	}
	for _, bad := range []string{"", "NAME : x\n", "CAPACITY : 0\n", "NODE_COORD_SECTION\n1 a b\n", "TYPE : TSP\n",
		"CAPACITY : 5\nNODE_COORD_SECTION\n1 0 0\n2 1 1\nDEMAND_SECTION\n2 9\n"} {
		if _, err := ReadTSPLIB(bytes.NewReader([]byte(bad))); err == nil {
			t.Errorf("TSPLIB %q accepted", bad)
		}
	}
	for _, bad := range []string{"", "NUMBER\n", "NUMBER CAPACITY\n1 5\n0 0 0 0 0 10 0\n"} {
		if _, err := ReadSolomon(bytes.NewReader([]byte(bad))); err == nil {
			t.Errorf("Solomon %q accepted", bad)
		}
	}
}
