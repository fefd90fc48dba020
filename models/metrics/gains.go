package metrics

import (
	"fmt"
	"math"
)

// DefaultGroups is the number of groups (deciles) of gains tables and the
// Hosmer-Lemeshow test when callers pass 0.
const DefaultGroups = 10

// GainsRow is one group of a gains (lift) table; groups run from the
// riskiest (Group 1) to the safest.
type GainsRow struct {
	Group int `json:"group"`
	// MinScore and MaxScore bound the scores of the group.
	MinScore float64 `json:"min_score"`
	MaxScore float64 `json:"max_score"`
	Rows     int     `json:"rows"`
	Bads     int     `json:"bads"`
	BadRate  float64 `json:"bad_rate"`
	// CumRowShare, CumBadShare and CumGoodShare are the shares of all rows,
	// bads and goods in this and the riskier groups; CumBadShare −
	// CumGoodShare is the KS distance at the group's lower edge.
	CumRowShare  float64 `json:"cum_row_share"`
	CumBadShare  float64 `json:"cum_bad_share"`
	CumGoodShare float64 `json:"cum_good_share"`
	// Lift is BadRate over the overall bad rate; CumLift the same for the
	// cumulative bad rate.
	Lift    float64 `json:"lift"`
	CumLift float64 `json:"cum_lift"`
}

// Gains returns the gains table of score in groups (DefaultGroups when 0)
// of about equal size. Rows with equal scores always share a group: a tie
// block of ranks r+1…r+c (by decreasing risk) goes to group
// ⌊(r+(c+1)/2)·groups/(n+1)⌋, the mean-rank rule of SAS PROC RANK
// (GROUPS=, TIES=MEAN). Heavy ties can leave fewer groups; empty groups are
// omitted and the rest numbered from 1.
func Gains(score []float64, y []int8, higher Higher, groups int) ([]GainsRow, error) {
	groups, err := groupCount(groups)
	if err != nil {
		return nil, err
	}
	r, err := newRanking(score, y, higher)
	if err != nil {
		return nil, err
	}
	return r.gains(groups), nil
}

func (r *ranking) gains(groups int) []GainsRow {
	n := r.nBad + r.nGood
	overall := float64(r.nBad) / float64(n)
	var rows []GainsRow
	cumRows, cumBads, cumGoods := 0, 0, 0
	bucket := -1
	for g, rank := len(r.keys)-1, 0; g >= 0; g-- {
		c := r.bads[g] + r.goods[g]
		b := tieGroup(rank, c, n, groups)
		rank += c
		if b != bucket {
			bucket = b
			rows = append(rows, GainsRow{Group: len(rows) + 1, MinScore: r.score[g], MaxScore: r.score[g]})
		}
		row := &rows[len(rows)-1]
		row.MinScore = math.Min(row.MinScore, r.score[g])
		row.MaxScore = math.Max(row.MaxScore, r.score[g])
		row.Rows += c
		row.Bads += r.bads[g]
		cumRows += c
		cumBads += r.bads[g]
		cumGoods += r.goods[g]
		row.CumRowShare = float64(cumRows) / float64(n)
		row.CumBadShare = float64(cumBads) / float64(r.nBad)
		row.CumGoodShare = float64(cumGoods) / float64(r.nGood)
		row.CumLift = float64(cumBads) / float64(cumRows) / overall
	}
	for i := range rows {
		rows[i].BadRate = float64(rows[i].Bads) / float64(rows[i].Rows)
		rows[i].Lift = rows[i].BadRate / overall
	}
	return rows
}

// tieGroup returns the group of a tie block of c rows after rank earlier
// rows, out of n rows in groups groups (SAS PROC RANK, TIES=MEAN).
func tieGroup(rank, c, n, groups int) int {
	meanRank := float64(rank) + float64(c+1)/2
	return int(math.Floor(meanRank * float64(groups) / float64(n+1)))
}

func groupCount(groups int) (int, error) {
	switch {
	case groups == 0:
		return DefaultGroups, nil
	case groups < 1:
		return 0, fmt.Errorf("%w: %d groups", ErrInput, groups)
	}
	return groups, nil
}
