package scorecard

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// PMML returns the scorecard as a PMML 4.4 document with a Scorecard model: one
// Characteristic per variable with its Attributes (predicates over the raw input field) and
// partial scores, reason codes by the pointsBelow algorithm with the maximum points of each
// characteristic as its baseline (baselineMethod "max"), and output fields for the score and
// the three reason codes. Predicates are listed in the order PMML evaluates them: missing
// first, then special values, then intervals or category sets, then a catch-all that scores
// categories unseen in training. PD and grade are not part of a PMML Scorecard; they come from
// scorecard.json.
func (s *Scorecard) PMML(appVersion string) ([]byte, error) {
	doc := pmmlDoc{
		XMLNS:   "http://www.dmg.org/PMML-4_4",
		Version: "4.4",
		Header: pmmlHeader{
			Description: fmt.Sprintf("lendscore scorecard %s %s", s.Model, s.Version),
			Application: pmmlApp{Name: "lendscore", Version: appVersion},
		},
	}
	model := pmmlScorecard{
		ModelName:           s.Model,
		FunctionName:        "regression",
		UseReasonCodes:      true,
		ReasonCodeAlgorithm: "pointsBelow",
		InitialScore:        0,
		BaselineMethod:      "max",
	}
	for _, c := range s.Characteristics {
		df := pmmlDataField{Name: c.Name}
		mf := pmmlMiningField{Name: c.Name, UsageType: "active", MissingValueTreatment: "asIs", InvalidValueTreatment: "asMissing"}
		pc := pmmlCharacteristic{Name: c.Name + "_points", ReasonCode: c.ReasonCode, BaselineScore: c.MaxPoints()}
		if c.Kind == "numeric" {
			df.Optype, df.DataType = "continuous", "double"
		} else {
			df.Optype, df.DataType = "categorical", "string"
			var cats []string
			for _, a := range c.Attributes {
				cats = append(cats, a.Categories...)
			}
			sort.Strings(cats)
			for _, v := range cats {
				df.Values = append(df.Values, pmmlValue{Value: v})
			}
			mf.InvalidValueTreatment = "asIs" // unseen categories fall through to the catch-all
		}
		doc.DataDictionary.Fields = append(doc.DataDictionary.Fields, df)
		model.MiningSchema.Fields = append(model.MiningSchema.Fields, mf)

		miss := c.Attributes[c.MissingAttribute]
		pc.Attributes = append(pc.Attributes, pmmlAttribute{PartialScore: miss.Points,
			pmmlPredicate: pmmlPredicate{Simple: &pmmlSimple{Field: c.Name, Operator: "isMissing"}}})
		for _, a := range c.Attributes {
			for _, v := range a.Special {
				pc.Attributes = append(pc.Attributes, pmmlAttribute{PartialScore: a.Points,
					pmmlPredicate: pmmlPredicate{Simple: &pmmlSimple{Field: c.Name, Operator: "equal", Value: num(v)}}})
			}
		}
		for _, a := range c.Attributes {
			switch {
			case c.Kind == "categorical" && len(a.Categories) > 0:
				quoted := make([]string, len(a.Categories))
				for i, v := range a.Categories {
					quoted[i] = strconv.Quote(v)
				}
				pc.Attributes = append(pc.Attributes, pmmlAttribute{PartialScore: a.Points,
					pmmlPredicate: pmmlPredicate{Set: &pmmlSet{Field: c.Name, BooleanOperator: "isIn",
						Array: pmmlArray{N: len(a.Categories), Type: "string", Values: strings.Join(quoted, " ")}}}})
			case c.Kind == "numeric" && a.Interval:
				pc.Attributes = append(pc.Attributes, pmmlAttribute{PartialScore: a.Points, pmmlPredicate: interval(c.Name, a)})
			}
		}
		if c.Kind == "categorical" {
			u := c.Attributes[c.UnseenAttribute]
			pc.Attributes = append(pc.Attributes, pmmlAttribute{PartialScore: u.Points, pmmlPredicate: pmmlPredicate{True: &struct{}{}}})
		}
		model.Characteristics.Items = append(model.Characteristics.Items, pc)
	}
	doc.DataDictionary.N = len(doc.DataDictionary.Fields)
	model.Output.Fields = []pmmlOutputField{
		{Name: "score", Feature: "predictedValue", DataType: "double", Optype: "continuous"},
		{Name: "reason_1", Feature: "reasonCode", Rank: 1, DataType: "string", Optype: "categorical"},
		{Name: "reason_2", Feature: "reasonCode", Rank: 2, DataType: "string", Optype: "categorical"},
		{Name: "reason_3", Feature: "reasonCode", Rank: 3, DataType: "string", Optype: "categorical"},
	}
	doc.Scorecard = model
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("pmml: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func interval(field string, a Attribute) pmmlPredicate {
	var parts []pmmlSimple
	if a.Lower != nil {
		parts = append(parts, pmmlSimple{Field: field, Operator: "greaterOrEqual", Value: num(*a.Lower)})
	}
	if a.Upper != nil {
		parts = append(parts, pmmlSimple{Field: field, Operator: "lessThan", Value: num(*a.Upper)})
	}
	switch len(parts) {
	case 0:
		return pmmlPredicate{True: &struct{}{}}
	case 1:
		return pmmlPredicate{Simple: &parts[0]}
	}
	return pmmlPredicate{Compound: &pmmlCompound{BooleanOperator: "and", Simple: parts}}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type pmmlDoc struct {
	XMLName        xml.Name      `xml:"PMML"`
	XMLNS          string        `xml:"xmlns,attr"`
	Version        string        `xml:"version,attr"`
	Header         pmmlHeader    `xml:"Header"`
	DataDictionary pmmlDataDict  `xml:"DataDictionary"`
	Scorecard      pmmlScorecard `xml:"Scorecard"`
}

type pmmlHeader struct {
	Description string  `xml:"description,attr"`
	Application pmmlApp `xml:"Application"`
}

type pmmlApp struct {
	Name    string `xml:"name,attr"`
	Version string `xml:"version,attr"`
}

type pmmlDataDict struct {
	N      int             `xml:"numberOfFields,attr"`
	Fields []pmmlDataField `xml:"DataField"`
}

type pmmlDataField struct {
	Name     string      `xml:"name,attr"`
	Optype   string      `xml:"optype,attr"`
	DataType string      `xml:"dataType,attr"`
	Values   []pmmlValue `xml:"Value"`
}

type pmmlValue struct {
	Value string `xml:"value,attr"`
}

type pmmlScorecard struct {
	ModelName           string              `xml:"modelName,attr"`
	FunctionName        string              `xml:"functionName,attr"`
	UseReasonCodes      bool                `xml:"useReasonCodes,attr"`
	ReasonCodeAlgorithm string              `xml:"reasonCodeAlgorithm,attr"`
	InitialScore        float64             `xml:"initialScore,attr"`
	BaselineMethod      string              `xml:"baselineMethod,attr"`
	MiningSchema        pmmlMiningSchema    `xml:"MiningSchema"`
	Output              pmmlOutput          `xml:"Output"`
	Characteristics     pmmlCharacteristics `xml:"Characteristics"`
}

type pmmlMiningSchema struct {
	Fields []pmmlMiningField `xml:"MiningField"`
}

type pmmlMiningField struct {
	Name                  string `xml:"name,attr"`
	UsageType             string `xml:"usageType,attr"`
	MissingValueTreatment string `xml:"missingValueTreatment,attr,omitempty"`
	InvalidValueTreatment string `xml:"invalidValueTreatment,attr,omitempty"`
}

type pmmlOutput struct {
	Fields []pmmlOutputField `xml:"OutputField"`
}

type pmmlOutputField struct {
	Name     string `xml:"name,attr"`
	Feature  string `xml:"feature,attr"`
	Rank     int    `xml:"rank,attr,omitempty"`
	DataType string `xml:"dataType,attr"`
	Optype   string `xml:"optype,attr"`
}

type pmmlCharacteristics struct {
	Items []pmmlCharacteristic `xml:"Characteristic"`
}

type pmmlCharacteristic struct {
	Name          string          `xml:"name,attr"`
	ReasonCode    string          `xml:"reasonCode,attr"`
	BaselineScore int             `xml:"baselineScore,attr"`
	Attributes    []pmmlAttribute `xml:"Attribute"`
}

type pmmlAttribute struct {
	PartialScore int `xml:"partialScore,attr"`
	pmmlPredicate
}

// pmmlPredicate holds exactly one of its predicates; it marshals as that element alone.
type pmmlPredicate struct {
	Simple   *pmmlSimple   `xml:"SimplePredicate"`
	Compound *pmmlCompound `xml:"CompoundPredicate"`
	Set      *pmmlSet      `xml:"SimpleSetPredicate"`
	True     *struct{}     `xml:"True"`
}

type pmmlSimple struct {
	Field    string `xml:"field,attr"`
	Operator string `xml:"operator,attr"`
	Value    string `xml:"value,attr,omitempty"`
}

type pmmlCompound struct {
	BooleanOperator string       `xml:"booleanOperator,attr"`
	Simple          []pmmlSimple `xml:"SimplePredicate"`
}

type pmmlSet struct {
	Field           string    `xml:"field,attr"`
	BooleanOperator string    `xml:"booleanOperator,attr"`
	Array           pmmlArray `xml:"Array"`
}

type pmmlArray struct {
	N      int    `xml:"n,attr"`
	Type   string `xml:"type,attr"`
	Values string `xml:",chardata"`
}
