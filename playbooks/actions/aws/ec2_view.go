package aws

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/incident-bot/incident-bot/playbooks/actions"
)

// ec2View is what ec2.instance_status found, to be written out.
type ec2View struct {
	ids    []string
	inst   map[string]types.Instance
	status map[string]types.InstanceStatus
	images map[string]types.Image
	reqID  string
	now    time.Time
}

// summary is one line: every instance's state, then what needs acting on.
func (v ec2View) summary() string {
	var states, events, impaired, noAMI, missing []string
	for _, id := range v.ids {
		i, ok := v.inst[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		states = append(states, id+" "+stateName(i))
		st := v.status[id]
		for _, e := range st.Events {
			if !eventDone(e) {
				events = append(events, fmt.Sprintf("%s %s from %s", id, e.Code, day(e.NotBefore)))
			}
		}
		if checkFailing(st.SystemStatus) || checkFailing(st.InstanceStatus) {
			impaired = append(impaired, id)
		}
		if ami := aws.ToString(i.ImageId); ami != "" && amiProblem(v.images, ami) != "" {
			noAMI = append(noAMI, fmt.Sprintf("%s (%s)", id, ami))
		}
	}
	var parts []string
	if len(states) > 0 {
		parts = append(parts, strings.Join(states, ", "))
	}
	if len(events) > 0 {
		parts = append(parts, "scheduled by AWS: "+strings.Join(events, ", "))
	}
	if len(impaired) > 0 {
		parts = append(parts, "status checks failing: "+strings.Join(impaired, ", "))
	}
	if len(noAMI) > 0 {
		parts = append(parts, "AMI deleted or no longer shared: "+strings.Join(noAMI, ", "))
	}
	if len(missing) > 0 {
		parts = append(parts, "not found: "+strings.Join(missing, ", "))
	}
	return strings.Join(parts, "; ")
}

// sections is one section per instance, in the targets file's order.
func (v ec2View) sections() []actions.Section {
	var ss []actions.Section
	for _, id := range v.ids {
		i, ok := v.inst[id]
		if !ok {
			ss = append(ss, actions.Section{Title: id + ": not found",
				Rows: []string{"EC2 does not know this instance in this region and account: terminated, or the targets file names the wrong one"}})
			continue
		}
		ss = append(ss, actions.Section{Title: instanceTitle(i), Rows: v.instanceRows(i)})
	}
	return ss
}

func instanceTitle(i types.Instance) string {
	title := aws.ToString(i.InstanceId)
	if name := tagValue(i.Tags, "Name"); name != "" {
		title += " (" + name + ")"
	}
	az := ""
	if i.Placement != nil {
		az = " in " + aws.ToString(i.Placement.AvailabilityZone)
	}
	return fmt.Sprintf("%s, %s%s: %s", title, i.InstanceType, az, stateName(i))
}

// instanceRows are an instance's findings: why it is not running, its
// status checks, AWS's scheduled events, its AMI.
func (v ec2View) instanceRows(i types.Instance) []string {
	id := aws.ToString(i.InstanceId)
	var rows []string
	if stateName(i) != "running" {
		if r := i.StateReason; r != nil && aws.ToString(r.Message) != "" {
			rows = append(rows, "reason: "+aws.ToString(r.Message))
		}
		if tr := aws.ToString(i.StateTransitionReason); tr != "" {
			rows = append(rows, "transition: "+tr)
		}
	}
	st := v.status[id]
	rows = append(rows, "status checks: "+checks(st))
	if len(st.Events) == 0 {
		rows = append(rows, "no scheduled events")
	}
	for _, e := range st.Events {
		rows = append(rows, eventLine(e))
	}
	if ami := aws.ToString(i.ImageId); ami != "" {
		rows = append(rows, amiLine(v.images, ami, v.now))
	}
	if i.RootDeviceType == types.DeviceTypeInstanceStore {
		rows = append(rows, "root device is instance store: its data is lost whenever the instance stops")
	}
	return rows
}

func stateName(i types.Instance) string {
	if i.State == nil {
		return "unknown"
	}
	return string(i.State.Name)
}

// checks is the two status checks in a line, naming what failed.
func checks(st types.InstanceStatus) string {
	if st.SystemStatus == nil && st.InstanceStatus == nil {
		return "not reported"
	}
	line := fmt.Sprintf("system %s, instance %s", checkText(st.SystemStatus), checkText(st.InstanceStatus))
	if line == "system not-applicable, instance not-applicable" {
		return "not applicable while the instance is not running"
	}
	return line
}

func checkText(s *types.InstanceStatusSummary) string {
	if s == nil {
		return "not reported"
	}
	text := string(s.Status)
	for _, d := range s.Details {
		if d.Status != types.StatusTypePassed {
			text += fmt.Sprintf(" (%s %s", d.Name, d.Status)
			if d.ImpairedSince != nil {
				text += " since " + day(d.ImpairedSince)
			}
			text += ")"
		}
	}
	return text
}

func checkFailing(s *types.InstanceStatusSummary) bool {
	return s != nil && s.Status == types.SummaryStatusImpaired
}

// eventDone reports an event AWS has finished or called off: it keeps
// them listed for a while with the description marked so.
func eventDone(e types.InstanceStatusEvent) bool {
	d := aws.ToString(e.Description)
	return strings.HasPrefix(d, "[Completed]") || strings.HasPrefix(d, "[Canceled]")
}

func eventLine(e types.InstanceStatusEvent) string {
	line := fmt.Sprintf("scheduled event %s: %s", e.Code, aws.ToString(e.Description))
	if e.NotBefore != nil {
		line += ", not before " + day(e.NotBefore)
	}
	if e.NotAfter != nil {
		line += ", not after " + day(e.NotAfter)
	}
	if e.NotBeforeDeadline != nil {
		line += ", can be rescheduled up to " + day(e.NotBeforeDeadline)
	}
	return line
}

// amiProblem says what is wrong with an instance's AMI ("" when fine).
func amiProblem(images map[string]types.Image, ami string) string {
	im, ok := images[ami]
	switch {
	case !ok:
		return "was deleted (deregistered) or is no longer shared with this account"
	case im.State != types.ImageStateAvailable:
		return "is " + string(im.State)
	}
	return ""
}

// amiLine says plainly whether the instance could be recreated from its
// AMI: in the postmortem it could not, and nobody knew until it stopped.
func amiLine(images map[string]types.Image, ami string, now time.Time) string {
	if p := amiProblem(images, ami); p != "" {
		return fmt.Sprintf("AMI %s %s: the instance still starts from its own volumes, but cannot be recreated from this image; recreate it with a new AMI", ami, p)
	}
	im := images[ami]
	line := fmt.Sprintf("AMI %s (%s) still exists", ami, aws.ToString(im.Name))
	if dep := aws.ToString(im.DeprecationTime); dep != "" {
		if at, err := time.Parse(time.RFC3339, dep); err == nil && !at.After(now) {
			line += ", deprecated since " + day(&at)
		}
	}
	return line
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// day formats a date and time: scheduled events are days away, so the
// clock alone would mislead.
func day(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
