/**
 * Vocabulary for the demo data: invented but plausible customer, project and people names.
 * Any resemblance to real companies is accidental.
 */

export const COMPANY_NAMES: Record<"US01" | "UK01" | "SG01", string[]> = {
  US01: [
    "Acme Manufacturing",
    "Brightwater Utilities",
    "Corvel Insurance",
    "Meridian Retail Group",
    "Atlas Freight",
    "Bluepeak Energy",
    "Kestrel Aerospace",
    "Oakridge Community Bank",
    "Sterling Biopharma",
    "Harbor Point Logistics",
    "Summit Health Partners",
    "Redwood Capital",
    "Vantage Telecom",
    "Crescent Hotels",
    "Pinnacle Mining",
    "Evergreen Foods",
    "Lumen Media",
    "Granite Build Partners",
    "Silverline Air",
    "Prairie Mutual",
    "Cobalt Semiconductors",
    "Northgate University",
    "Riverside Medical Center",
    "Tidewater Shipping",
  ],
  UK01: [
    "Ashford & Cole",
    "Pembroke Insurance",
    "Kingsbridge Retail",
    "Wexford Building Society",
    "Calder Rail",
    "Hartwell Estates",
    "Albion Water",
    "Greyfriars Publishing",
    "Moorgate Asset Management",
    "Severn Energy",
    "Lindqvist & Hale",
    "Brackenridge Foods",
    "Cheltenham Mutual",
    "Norfolk Broads Leisure",
    "Castleford Engineering",
    "Royal Dock Logistics",
  ],
  SG01: [
    "Lion City Logistics",
    "Straits Maritime",
    "Merlion Health",
    "Orchard Retail Holdings",
    "Jurong Precision",
    "Marina Bay Capital",
    "Kallang Power",
    "Bukit Timah Foods",
    "Tanjong Pagar Port Services",
    "Changi Aero Services",
    "Serangoon Telecom",
    "Tampines Property",
  ],
};

/** Project name templates by practice; the name reads "<customer short> <template>". */
export const PROJECT_TEMPLATES: { practice: string; businessUnit: string; names: string[] }[] = [
  {
    practice: "Finance Transformation",
    businessUnit: "Consulting",
    names: ["ERP rollout", "Close process redesign", "Finance operating model", "Procure-to-pay uplift", "Order-to-cash redesign", "Treasury system upgrade"],
  },
  {
    practice: "Data & AI",
    businessUnit: "Digital",
    names: ["Data platform build", "Analytics modernisation", "Demand forecasting pilot", "Customer 360", "MLOps foundation", "Data governance programme"],
  },
  {
    practice: "Cloud",
    businessUnit: "Digital",
    names: ["Cloud migration", "Landing zone build", "Platform engineering", "Application modernisation", "FinOps review", "Data centre exit"],
  },
  {
    practice: "Cybersecurity",
    businessUnit: "Consulting",
    names: ["Zero-trust rollout", "SOC 2 readiness", "Identity modernisation", "Security assessment", "Incident response retainer", "ISO 27001 programme"],
  },
  {
    practice: "Application Support",
    businessUnit: "Managed Services",
    names: ["Managed ERP support", "Application support retainer", "Service desk transition", "Run and maintain", "Platform operations"],
  },
];

export const FIRST_NAMES: Record<"US01" | "UK01" | "SG01", string[]> = {
  US01: [
    "James", "Maria", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Susan",
    "Carlos", "Jessica", "Daniel", "Sarah", "Matthew", "Karen", "Anthony", "Nancy", "Mark", "Lisa",
    "Andrew", "Emily", "Joshua", "Ashley", "Kevin", "Michelle", "Brian", "Amanda", "Jason", "Melissa",
    "Tyler", "Rachel", "Aaron", "Laura", "Jamal", "Priya", "Diego", "Hannah", "Ethan", "Olivia",
  ],
  UK01: [
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Charlie", "Grace",
    "Thomas", "Sophie", "James", "Emily", "William", "Lily", "Alfie", "Freya", "Henry", "Evie",
    "Rhys", "Niamh", "Callum", "Eilidh", "Arjun", "Zara", "Samuel", "Chloe", "Owen", "Poppy",
  ],
  SG01: [
    "Wei Ling", "Jun Jie", "Hui Min", "Zhi Hao", "Mei Xin", "Kai Wen", "Siti", "Muhammad", "Nur Aisyah", "Arun",
    "Divya", "Rajesh", "Shu Fen", "Yong Sheng", "Li Ting", "Jia Hui", "Farhan", "Kavitha", "Marcus", "Rachel",
  ],
};

export const LAST_NAMES: Record<"US01" | "UK01" | "SG01", string[]> = {
  US01: [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Nguyen", "Patel", "Kim", "Okafor", "Schmidt", "Rossi", "Cohen", "Murphy", "Rivera", "Chen",
  ],
  UK01: [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "Patel", "Khan", "Hughes", "Edwards", "Lewis", "Morgan", "Campbell", "MacDonald", "O'Neill", "Fletcher",
  ],
  SG01: [
    "Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh",
    "Teo", "Ang", "Yeo", "Tay", "Ho", "Low", "Toh", "Sim", "Rahman", "Pillai",
    "Nair", "Kumar", "Hassan", "Ismail",
  ],
};

export const NOTES_BY_PRACTICE: Record<string, string[]> = {
  "Finance Transformation": [
    "Workshop with client finance team",
    "Chart of accounts mapping",
    "Month-end close walkthrough",
    "Design review: intercompany flows",
    "UAT support for AP automation",
    "Requirements session with controller",
    "Cutover planning",
    "Data conversion validation",
  ],
  "Data & AI": [
    "Pipeline development",
    "Data model review",
    "Feature engineering",
    "Dashboard iteration with stakeholders",
    "Model evaluation and tuning",
    "Source system profiling",
    "Data quality checks",
    "Sprint planning",
  ],
  Cloud: [
    "Terraform modules for landing zone",
    "Migration wave planning",
    "Network design review",
    "Cost optimisation analysis",
    "CI/CD pipeline setup",
    "Runbook updates",
    "Application dependency mapping",
    "Cutover rehearsal",
  ],
  Cybersecurity: [
    "Control testing",
    "Policy drafting",
    "Threat modelling workshop",
    "Evidence collection for audit",
    "IAM role review",
    "Vulnerability triage",
    "Tabletop exercise preparation",
    "Findings report",
  ],
  "Application Support": [
    "Ticket triage and resolution",
    "Monthly service review",
    "Patch deployment",
    "Incident follow-up",
    "Knowledge base updates",
    "On-call handover",
    "Change advisory board",
    "Batch job monitoring",
  ],
};

export const INTERNAL_NOTES = [
  "Internal team meeting",
  "Training: certification prep",
  "Proposal support",
  "Knowledge sharing session",
  "Timesheet and admin",
];

export const EXPENSE_CATEGORIES: { name: string; min: number; max: number; weight: number }[] = [
  { name: "Travel", min: 120, max: 900, weight: 3 },
  { name: "Lodging", min: 140, max: 420, weight: 2 },
  { name: "Meals", min: 15, max: 110, weight: 4 },
  { name: "Mileage", min: 12, max: 85, weight: 2 },
  { name: "Software", min: 20, max: 240, weight: 1 },
];
