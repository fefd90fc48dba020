// Package deploy holds the deployment manifests of lendscore (see README.md); its test
// checks that they agree with each other and with the command line.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"lendscore/jobs"
)

// k8sDoc is the part of a Kubernetes object the test reads.
type k8sDoc struct {
	Kind     string                `yaml:"kind"`
	Metadata struct{ Name string } `yaml:"metadata"`
	Data     map[string]string     `yaml:"data"`
	Spec     struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Args []string `yaml:"args"`
					Env  []struct {
						Name      string `yaml:"name"`
						Value     string `yaml:"value"`
						ValueFrom *struct {
							SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readDocs(t *testing.T, path string) []k8sDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []k8sDoc
	for {
		var d k8sDoc
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

// flagValue returns the value after --name in args.
func flagValue(args []string, name string) string {
	i := slices.Index(args, "--"+name)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

func TestKubernetesManifests(t *testing.T) {
	docs := readDocs(t, "kubernetes/score-job.yaml")
	if len(docs) != 2 || docs[0].Kind != "ConfigMap" || docs[1].Kind != "Job" {
		t.Fatalf("score-job.yaml holds %d objects", len(docs))
	}
	spec, err := jobs.Parse("score.yaml", []byte(docs[0].Data["score.yaml"]), nil, "2026-06-30")
	if err != nil {
		t.Fatalf("the ConfigMap's job spec: %v", err)
	}
	if spec.Kind != jobs.KindScore || !strings.Contains(spec.Inputs.Table, "dt=2026-06-30") {
		t.Errorf("job spec %+v", spec)
	}
	commit := readDocs(t, "kubernetes/commit-job.yaml")
	if len(commit) != 1 || commit[0].Kind != "Job" {
		t.Fatal("commit-job.yaml: want one Job")
	}
	checkShardedJobs(t, docs[1], commit[0])
}

// checkShardedJobs checks the Indexed Job of a sharded run and its commit Job: as many
// completions as --shards, pods that are not restarted in place, run a spec from the
// ConfigMap's mount with an --as-of and AWS credentials from a Secret; a commit with the
// same spec, --shards and --as-of.
func checkShardedJobs(t *testing.T, shardJob, commitJob k8sDoc) {
	t.Helper()
	job := shardJob.Spec
	c := job.Template.Spec.Containers[0]
	shards := flagValue(c.Args, "shards")
	if job.CompletionMode != "Indexed" || job.Completions == 0 || job.Completions != job.Parallelism || shards != itoa(job.Completions) {
		t.Errorf("completionMode %s, completions %d, parallelism %d, --shards %s", job.CompletionMode, job.Completions, job.Parallelism, shards)
	}
	if job.Template.Spec.RestartPolicy != "Never" || c.Args[0] != "run" || flagValue(c.Args, "as-of") == "" {
		t.Errorf("pod: restartPolicy %s, args %v", job.Template.Spec.RestartPolicy, c.Args)
	}
	secrets := 0
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && strings.HasPrefix(e.Name, "AWS_") {
			secrets++
		}
	}
	if secrets != 2 {
		t.Errorf("%d AWS credentials from a Secret, want 2", secrets)
	}
	if !strings.HasPrefix(c.Args[1], c.VolumeMounts[0].MountPath+"/") {
		t.Errorf("the spec %s is not under the ConfigMap's mount %s", c.Args[1], c.VolumeMounts[0].MountPath)
	}
	ca := commitJob.Spec.Template.Spec.Containers[0].Args
	if ca[0] != "commit" || ca[1] != c.Args[1] || flagValue(ca, "shards") != shards || flagValue(ca, "as-of") != flagValue(c.Args, "as-of") {
		t.Errorf("commit args %v do not match the shards' %v", ca, c.Args)
	}
}

// TestKubernetesTrainManifests: the sharded train run's job spec loads (a train job with an
// id column, which sharded training needs), and its Indexed Job and commit Job agree as the
// score run's do (checkShardedJobs).
func TestKubernetesTrainManifests(t *testing.T) {
	docs := readDocs(t, "kubernetes/train-job.yaml")
	if len(docs) != 3 || docs[0].Kind != "ConfigMap" || docs[1].Kind != "Job" || docs[2].Kind != "Job" {
		t.Fatalf("train-job.yaml holds %d objects", len(docs))
	}
	spec, err := jobs.Parse("train.yaml", []byte(docs[0].Data["train.yaml"]), nil, "2026-06-30")
	if err != nil {
		t.Fatalf("the ConfigMap's job spec: %v", err)
	}
	if spec.Kind != jobs.KindTrain || spec.ID == "" || spec.Inputs.Relational() || !strings.Contains(spec.Inputs.Table, "dt=2026-06-30") {
		t.Errorf("job spec %+v", spec)
	}
	checkShardedJobs(t, docs[1], docs[2])
}

func itoa(n int) string { return strconv.Itoa(n) }

type batchDef struct {
	Name       string            `json:"jobDefinitionName"`
	Type       string            `json:"type"`
	Parameters map[string]string `json:"parameters"`
	Container  struct {
		Image   string   `json:"image"`
		Command []string `json:"command"`
		JobRole string   `json:"jobRoleArn"`
	} `json:"containerProperties"`
}

func TestAWSBatchDefinitions(t *testing.T) {
	var defs []batchDef
	for _, f := range []string{"aws-batch/score-shard.json", "aws-batch/commit.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d batchDef
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, arg := range d.Container.Command {
			if p, ok := strings.CutPrefix(arg, "Ref::"); ok {
				if _, ok := d.Parameters[p]; !ok {
					t.Errorf("%s: %s has no default parameter", f, arg)
				}
			}
		}
		if d.Type != "container" || d.Container.Image == "" || d.Container.JobRole == "" {
			t.Errorf("%s: %+v", f, d)
		}
		defs = append(defs, d)
	}
	want := map[string][]string{"lendscore-score-shard": {"run", "Ref::spec", "--shards", "Ref::shards", "--as-of", "Ref::as_of"},
		"lendscore-commit": {"commit", "Ref::spec", "--shards", "Ref::shards", "--as-of", "Ref::as_of"}}
	for _, d := range defs {
		if got := d.Container.Command[:6]; !slices.Equal(got, want[d.Name]) {
			t.Errorf("%s: command %v", d.Name, got)
		}
	}
	script, err := os.ReadFile("aws-batch/submit.sh")
	if err != nil {
		t.Fatal(err)
	}
	s := string(script)
	for _, d := range defs {
		if !strings.Contains(s, "--job-definition "+d.Name) {
			t.Errorf("submit.sh does not submit %s", d.Name)
		}
	}
	if !regexp.MustCompile(`--array-properties size="\$SHARDS"`).MatchString(s) || strings.Count(s, `shards="$SHARDS"`) != 2 ||
		!strings.Contains(s, `--depends-on jobId="$array_job"`) {
		t.Error("submit.sh: the array size, both jobs' --shards and the commit's dependency must agree")
	}
}

func TestDockerfileShipsTheSpecsWhereTheManifestsLook(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "COPY jobs/ /etc/lendscore/jobs/") || !strings.Contains(string(data), "CGO_ENABLED=0") {
		t.Error("the image must hold the job specs in /etc/lendscore/jobs and a static binary")
	}
}
