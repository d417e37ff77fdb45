"""The sales catalog every new organization starts with, drawn from how sales teams split
work between agents and people: administrative work an agent can carry, and the moments
(pricing, negotiation, a person asked for) that belong to a person."""

from apps.catalogs.constants import Risk, TemplateKind

ACTIONS = [
    ("log_call_notes", "Log call notes", "Capture call notes and next steps in the CRM.", Risk.LOW),
    (
        "update_crm_record",
        "Update a CRM record",
        "Keep contact and company fields current.",
        Risk.LOW,
    ),
    (
        "update_deal_stage",
        "Update deal stage",
        "Move a deal to another pipeline stage.",
        Risk.MEDIUM,
    ),
    ("schedule_meeting", "Schedule a meeting", "Propose times and book meetings.", Risk.LOW),
    ("send_meeting_confirmation", "Confirm a meeting", "Confirm a booked meeting.", Risk.LOW),
    ("send_follow_up", "Send a follow-up", "Standard check-ins on open commitments.", Risk.MEDIUM),
    (
        "send_status_update",
        "Send a status update",
        "Factual progress on known deliverables.",
        Risk.MEDIUM,
    ),
    ("send_re_engagement", "Re-engage a quiet prospect", "Re-engagement outreach.", Risk.MEDIUM),
    (
        "send_first_response",
        "First response to a new stakeholder",
        "Credibility can't be templated.",
        Risk.HIGH,
    ),
    (
        "draft_proposal",
        "Draft a proposal",
        "Assemble a proposal from approved templates.",
        Risk.MEDIUM,
    ),
    ("send_proposal", "Send a proposal", "Send a proposal to the prospect.", Risk.HIGH),
    (
        "prepare_meeting_brief",
        "Prepare a meeting brief",
        "Meeting prep from CRM history.",
        Risk.LOW,
    ),
    (
        "summarize_pipeline",
        "Summarize the pipeline",
        "Pipeline status summaries for the team.",
        Risk.LOW,
    ),
    ("qualify_lead", "Qualify a lead", "Ask screening questions and score the lead.", Risk.MEDIUM),
    ("route_lead", "Route a lead", "Assign a lead to a rep or team.", Risk.MEDIUM),
    (
        "enroll_nurture_sequence",
        "Enroll in a nurture sequence",
        "Start a nurture sequence.",
        Risk.MEDIUM,
    ),
    (
        "suppress_contact",
        "Suppress a contact",
        "Stop outreach to a contact (opt-out).",
        Risk.MEDIUM,
    ),
    (
        "answer_product_question",
        "Answer a product question",
        "Factual product answers.",
        Risk.MEDIUM,
    ),
    (
        "answer_technical_question",
        "Answer a technical question",
        "Edge cases need judgment.",
        Risk.HIGH,
    ),
    ("quote_price", "Quote a price", "State a price to the prospect.", Risk.HIGH),
    ("offer_discount", "Offer a discount", "Offer a discount within limits.", Risk.HIGH),
    ("negotiate_terms", "Negotiate terms", "Contract and commercial negotiation.", Risk.HIGH),
    ("reallocate_budget", "Reallocate campaign budget", "Move spend between campaigns.", Risk.HIGH),
    (
        "launch_campaign",
        "Launch a campaign",
        "Launch an outbound or marketing campaign.",
        Risk.HIGH,
    ),
    ("de_escalate_complaint", "Respond to a complaint", "Repair needs human empathy.", Risk.HIGH),
]

SIGNALS = [
    (
        "buying_intent",
        "Buying intent",
        "A positive reply or a clear sign the prospect wants to buy.",
    ),
    ("pricing_question", "Pricing question", "The prospect asks about price, terms or discounts."),
    ("technical_objection", "Technical objection", "A technical concern or an edge-case question."),
    ("human_requested", "Person requested", "The prospect asks to speak with a person."),
    ("negative_sentiment", "Negative sentiment", "Frustration, complaint or a threat to churn."),
    ("competitor_mentioned", "Competitor mentioned", "The prospect names a competitor."),
    ("legal_question", "Legal or compliance question", "Contracts, privacy, regulation."),
    ("unsubscribe_request", "Unsubscribe request", "The contact asks not to be contacted."),
]

DATA_CATEGORIES = [
    ("contact_details", "Contact details", "Names, e-mail addresses, phone numbers.", False),
    ("company_info", "Company information", "Firmographics and public company facts.", False),
    ("deal_status", "Deal status", "Stage, amount, close date, next step.", False),
    ("meeting_notes", "Meeting notes", "What was said in calls and meetings.", False),
    ("pricing", "Pricing", "Price lists, quotes and discounts.", True),
    ("contract_terms", "Contract terms", "Commercial and legal terms.", True),
    ("payment_card", "Payment card data", "Card numbers and the like (PCI).", True),
    ("health", "Health information", "Anything about a person's health.", True),
    (
        "personal_preferences",
        "Personal preferences",
        "Personal details shared in conversation.",
        True,
    ),
]

TEMPLATES = [
    (
        "check-in-after-proposal",
        "Check-in after proposal",
        TemplateKind.EMAIL,
        "follow-up",
        "Following up on the proposal",
        "Hi {first_name},\n\nI wanted to check whether you had a chance to review the proposal "
        "we sent on {proposal_date}. Happy to walk through any part of it.\n\nBest,\n{sender}",
    ),
    (
        "meeting-confirmation",
        "Meeting confirmation",
        TemplateKind.EMAIL,
        "scheduling",
        "Confirmed: {meeting_title}",
        "Hi {first_name},\n\nConfirming our meeting on {meeting_time}. The agenda: {agenda}."
        "\n\nSee you then,\n{sender}",
    ),
    (
        "proposal-retainer",
        "Proposal — retainer engagement",
        TemplateKind.PROPOSAL,
        "retainer",
        "Proposal: {engagement_name}",
        "Scope: {scope}\nMonthly retainer: {monthly_fee}\nTerm: {term_months} months",
    ),
    (
        "proposal-project",
        "Proposal — fixed-scope project",
        TemplateKind.PROPOSAL,
        "project",
        "Proposal: {engagement_name}",
        "Scope: {scope}\nDeliverables: {deliverables}\nFee: {fee}\nTimeline: {timeline}",
    ),
    (
        "status-update",
        "Status update",
        TemplateKind.EMAIL,
        "delivery",
        "Update on {deliverable}",
        "Hi {first_name},\n\nA quick update: {status}. Next: {next_step}.\n\n{sender}",
    ),
    (
        "re-engagement-nudge",
        "Re-engagement nudge",
        TemplateKind.EMAIL,
        "re-engagement",
        "Still on your radar?",
        "Hi {first_name},\n\nIt's been a while since we spoke about {topic}. "
        "Is this still a priority for {company}?\n\n{sender}",
    ),
]
