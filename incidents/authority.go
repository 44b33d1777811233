package incidents

// authorise allows a change of someone's incident to the people it
// belongs to: its commander, its reporter and the approvers. An incident
// nobody has taken command of (an alert opened it) is everyone's, and the
// team may open every incident to everyone (ServiceOptions.AnyoneMayChange).
func (s *Service) authorise(inc *Incident, by By, what string) error {
	switch {
	case s.anyoneMayChange, by.Approver, by.User == inc.Commander, by.User == inc.Reporter,
		s.botUser != "" && inc.Commander == s.botUser:
		return nil
	}
	return Errorf(EFORBIDDEN, "Only the commander of %s, the person who declared it or an approver may %s it. "+
		"Ask the commander to hand over command (`/incident commander @you`).", inc.Ref(), what)
}

// authoriseCommand allows a hand-over: anyone may take command of an
// incident nobody commands; otherwise it is a change like any other.
func (s *Service) authoriseCommand(inc *Incident, by By, _ string) error {
	if s.botUser != "" && inc.Commander == s.botUser {
		return nil
	}
	return s.authorise(inc, by, "hand over command of")
}
