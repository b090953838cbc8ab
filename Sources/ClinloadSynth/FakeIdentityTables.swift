/// The word lists behind the synthetic identities: given and family names, streets,
/// Massachusetts towns (with their real county and a real ZIP of theirs), and
/// out-of-state birthplaces.
///
/// Everything here is public knowledge or invented; combined at random, with the
/// Synthea-style digits appended to names, the result is realistic-looking FAKE PHI
/// that belongs to nobody. The lists deliberately include non-ASCII names ("José",
/// "Zoë", "Müller"), apostrophes ("O'Brien") and multi-word names ("De la Cruz") so
/// that feeds exercise UTF-8 handling and field lengths downstream.
///
/// Entries must never contain a comma, a double quote, CR or LF: the generator decides
/// where CSV quoting is needed (ADDRESS), and tests check this invariant.
enum FakeIdentityTables {
    struct Town: Sendable {
        let name: String
        /// Index into `counties`.
        let county: Int
        /// A real five-digit ZIP code of the town (all Massachusetts ZIPs start 01 or 02).
        let zip: String
    }

    static let maleFirstNames: [String] = [
        "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
        "Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark",
        "Donald", "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian",
        "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob",
        "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott",
        "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick",
        "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Adam", "Nathan",
        "Henry", "Douglas", "Zachary", "Peter", "Kyle", "Walter", "Ethan", "Jeremy",
        "Harold", "Keith", "Christian", "Roger", "Noah", "Gerald", "Carl", "Terry",
        "Sean", "Austin", "Arthur", "Lawrence", "Jesse", "Dylan", "Bryan", "Jordan",
        "Bruce", "Albert", "Gabriel", "Logan", "Alan", "Juan", "Wayne", "Roy", "Ralph",
        "Eugene", "Vincent", "Russell", "Elijah", "Louis", "Philip", "Maynard",
        "Jacinto", "Emmett", "Otis", "Darnell", "Mohammed", "Wei", "Hiroshi", "Kwame",
        "Liam", "Declan",
        // non-ASCII
        "José", "Raúl", "Ramón", "Tomás", "Andrés", "Björn", "Søren", "François",
        "Łukasz", "Jürgen", "Zoltán", "Joaquín",
    ]

    static let femaleFirstNames: [String] = [
        "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan",
        "Jessica", "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra",
        "Ashley", "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda",
        "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
        "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela",
        "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Debra",
        "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather", "Diane", "Ruth",
        "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren",
        "Christina", "Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah",
        "Jacqueline", "Martha", "Gloria", "Teresa", "Ann", "Madison", "Frances",
        "Kathryn", "Janice", "Jean", "Abigail", "Alice", "Judy", "Sophia", "Grace",
        "Denise", "Amber", "Doris", "Marilyn", "Danielle", "Beverly", "Isabella",
        "Theresa", "Diana", "Natalie", "Charlotte", "Marie", "Kayla", "Alexis",
        "Lavern", "Ingrid", "Aaliyah", "Mei", "Yuki", "Priya", "Fatima", "Keisha",
        "Bridget",
        // non-ASCII
        "Zoë", "Renée", "Chloé", "Inés", "Agnès", "Siobhán", "Mónica", "Lucía",
        "Noémie", "Małgorzata", "Ángela", "Dagný",
    ]

    static let familyNames: [String] = [
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
        "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
        "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
        "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
        "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
        "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
        "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
        "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray",
        "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel",
        "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry",
        "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
        "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
        "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
        "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina",
        "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
        "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells",
        "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns",
        "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva",
        "Shaw", "Snyder", "Mason", "Dixon", "Hunt", "Hicks", "Holmes", "Palmer",
        "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
        "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
        "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant",
        "Dunn", "Spencer", "Hawkins", "Arnold", "Pierce", "Hansen", "Peters", "Santos",
        "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong",
        "Hudson", "Carroll", "Lane", "Riley", "Andrews", "Delgado", "Berry", "Perkins",
        "Hoffman", "Johnston", "Matthews", "Richards", "Willis", "Carpenter",
        // Synthea-flavoured
        "Mosciski", "Kuhlman", "Hintz", "Schowalter", "Bernier", "Kshlerin", "Wunsch",
        "Gislason", "Rempel", "Ziemann", "Okuneva", "Feest", "Rau", "Heller",
        "Runolfsdottir", "Wisozk",
        // non-ASCII
        "Müller", "Núñez", "Ibáñez", "Gómez", "Hernández", "Vázquez", "Muñoz", "Peña",
        "Kovačević", "Øvergaard", "Şahin", "Dvořák", "Lefèvre", "Björk", "Schäfer",
        "Åberg", "Nguyễn", "Wójcik",
        // apostrophes and several words
        "O'Brien", "O'Connor", "O'Neill", "D'Angelo", "De la Cruz", "Van der Berg",
        "Da Silva", "Del Rosario", "St. Pierre", "Mac Donnchadha",
    ]

    static let streetNames: [String] = [
        "Main", "Elm", "Oak", "Maple", "Pine", "Cedar", "Washington", "Lincoln",
        "Franklin", "Park", "Pleasant", "Church", "High", "School", "Center", "Summer",
        "Winter", "Spring", "Prospect", "Highland", "Chestnut", "Walnut", "Union",
        "Water", "Mill", "Bridge", "Lake", "Hill", "Forest", "Meadow", "Orchard",
        "Cherry", "Willow", "Birch", "Adams", "Jefferson", "Madison", "Beacon",
        "Tremont", "Commonwealth", "Harvard", "Salem", "Essex", "Plymouth", "Boylston",
        "Dartmouth", "Hancock", "Revere", "Cabot", "Hintz", "Kuhn", "Ritchie",
        "Bernier", "Schowalter", "Wunsch", "Gislason", "Rempel", "Ziemann", "Kshlerin",
        "Mosciski", "Okuneva", "Feest", "Rau", "Heller", "Quigley", "Stracke",
    ]

    static let streetSuffixes: [String] = [
        "Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court", "Place",
        "Boulevard", "Terrace", "Circle", "Run", "Crossing", "Gardens", "Heights",
        "Trail", "Path", "Parkway", "Row", "Square", "Stravenue", "Landing", "Mall",
    ]

    /// The 14 counties of Massachusetts, as Synthea writes them.
    static let counties: [String] = [
        "Barnstable County", "Berkshire County", "Bristol County", "Dukes County",
        "Essex County", "Franklin County", "Hampden County", "Hampshire County",
        "Middlesex County", "Nantucket County", "Norfolk County", "Plymouth County",
        "Suffolk County", "Worcester County",
    ]

    private static let barnstable = 0, berkshire = 1, bristol = 2, dukes = 3, essex = 4,
        franklin = 5, hampden = 6, hampshire = 7, middlesex = 8, nantucket = 9,
        norfolk = 10, plymouth = 11, suffolk = 12, worcester = 13

    static let towns: [Town] = [
        Town(name: "Boston", county: suffolk, zip: "02108"),
        Town(name: "Chelsea", county: suffolk, zip: "02150"),
        Town(name: "Revere", county: suffolk, zip: "02151"),
        Town(name: "Winthrop", county: suffolk, zip: "02152"),
        Town(name: "Cambridge", county: middlesex, zip: "02138"),
        Town(name: "Somerville", county: middlesex, zip: "02143"),
        Town(name: "Lowell", county: middlesex, zip: "01852"),
        Town(name: "Newton", county: middlesex, zip: "02458"),
        Town(name: "Framingham", county: middlesex, zip: "01701"),
        Town(name: "Waltham", county: middlesex, zip: "02451"),
        Town(name: "Malden", county: middlesex, zip: "02148"),
        Town(name: "Medford", county: middlesex, zip: "02155"),
        Town(name: "Woburn", county: middlesex, zip: "01801"),
        Town(name: "Arlington", county: middlesex, zip: "02474"),
        Town(name: "Lexington", county: middlesex, zip: "02420"),
        Town(name: "Concord", county: middlesex, zip: "01742"),
        Town(name: "Billerica", county: middlesex, zip: "01821"),
        Town(name: "Natick", county: middlesex, zip: "01760"),
        Town(name: "Marlborough", county: middlesex, zip: "01752"),
        Town(name: "Watertown", county: middlesex, zip: "02472"),
        Town(name: "Belmont", county: middlesex, zip: "02478"),
        Town(name: "Chelmsford", county: middlesex, zip: "01824"),
        Town(name: "Everett", county: middlesex, zip: "02149"),
        Town(name: "Melrose", county: middlesex, zip: "02176"),
        Town(name: "Burlington", county: middlesex, zip: "01803"),
        Town(name: "Reading", county: middlesex, zip: "01867"),
        Town(name: "Acton", county: middlesex, zip: "01720"),
        Town(name: "Wakefield", county: middlesex, zip: "01880"),
        Town(name: "Lynn", county: essex, zip: "01901"),
        Town(name: "Salem", county: essex, zip: "01970"),
        Town(name: "Lawrence", county: essex, zip: "01840"),
        Town(name: "Haverhill", county: essex, zip: "01830"),
        Town(name: "Peabody", county: essex, zip: "01960"),
        Town(name: "Beverly", county: essex, zip: "01915"),
        Town(name: "Gloucester", county: essex, zip: "01930"),
        Town(name: "Methuen", county: essex, zip: "01844"),
        Town(name: "Andover", county: essex, zip: "01810"),
        Town(name: "Newburyport", county: essex, zip: "01950"),
        Town(name: "Marblehead", county: essex, zip: "01945"),
        Town(name: "Danvers", county: essex, zip: "01923"),
        Town(name: "Saugus", county: essex, zip: "01906"),
        Town(name: "Quincy", county: norfolk, zip: "02169"),
        Town(name: "Brookline", county: norfolk, zip: "02445"),
        Town(name: "Weymouth", county: norfolk, zip: "02188"),
        Town(name: "Braintree", county: norfolk, zip: "02184"),
        Town(name: "Needham", county: norfolk, zip: "02492"),
        Town(name: "Dedham", county: norfolk, zip: "02026"),
        Town(name: "Wellesley", county: norfolk, zip: "02481"),
        Town(name: "Milton", county: norfolk, zip: "02186"),
        Town(name: "Franklin", county: norfolk, zip: "02038"),
        Town(name: "Norwood", county: norfolk, zip: "02062"),
        Town(name: "Brockton", county: plymouth, zip: "02301"),
        Town(name: "Plymouth", county: plymouth, zip: "02360"),
        Town(name: "Hingham", county: plymouth, zip: "02043"),
        Town(name: "Marshfield", county: plymouth, zip: "02050"),
        Town(name: "Bridgewater", county: plymouth, zip: "02324"),
        Town(name: "New Bedford", county: bristol, zip: "02740"),
        Town(name: "Fall River", county: bristol, zip: "02720"),
        Town(name: "Taunton", county: bristol, zip: "02780"),
        Town(name: "Attleboro", county: bristol, zip: "02703"),
        Town(name: "Dartmouth", county: bristol, zip: "02747"),
        Town(name: "Worcester", county: worcester, zip: "01608"),
        Town(name: "Leominster", county: worcester, zip: "01453"),
        Town(name: "Fitchburg", county: worcester, zip: "01420"),
        Town(name: "Shrewsbury", county: worcester, zip: "01545"),
        Town(name: "Westborough", county: worcester, zip: "01581"),
        Town(name: "Milford", county: worcester, zip: "01757"),
        Town(name: "Auburn", county: worcester, zip: "01501"),
        Town(name: "Gardner", county: worcester, zip: "01440"),
        Town(name: "Springfield", county: hampden, zip: "01103"),
        Town(name: "Chicopee", county: hampden, zip: "01020"),
        Town(name: "Holyoke", county: hampden, zip: "01040"),
        Town(name: "Westfield", county: hampden, zip: "01085"),
        Town(name: "West Springfield", county: hampden, zip: "01089"),
        Town(name: "Agawam", county: hampden, zip: "01001"),
        Town(name: "Ludlow", county: hampden, zip: "01056"),
        Town(name: "Northampton", county: hampshire, zip: "01060"),
        Town(name: "Amherst", county: hampshire, zip: "01002"),
        Town(name: "Easthampton", county: hampshire, zip: "01027"),
        Town(name: "Greenfield", county: franklin, zip: "01301"),
        Town(name: "Montague", county: franklin, zip: "01351"),
        Town(name: "Deerfield", county: franklin, zip: "01342"),
        Town(name: "Pittsfield", county: berkshire, zip: "01201"),
        Town(name: "North Adams", county: berkshire, zip: "01247"),
        Town(name: "Great Barrington", county: berkshire, zip: "01230"),
        Town(name: "Williamstown", county: berkshire, zip: "01267"),
        Town(name: "Barnstable", county: barnstable, zip: "02630"),
        Town(name: "Falmouth", county: barnstable, zip: "02540"),
        Town(name: "Yarmouth", county: barnstable, zip: "02675"),
        Town(name: "Bourne", county: barnstable, zip: "02532"),
        Town(name: "Sandwich", county: barnstable, zip: "02563"),
        Town(name: "Provincetown", county: barnstable, zip: "02657"),
        Town(name: "Edgartown", county: dukes, zip: "02539"),
        Town(name: "Oak Bluffs", county: dukes, zip: "02557"),
        Town(name: "Tisbury", county: dukes, zip: "02568"),
        Town(name: "Nantucket", county: nantucket, zip: "02554"),
    ]

    /// Birthplaces outside Massachusetts, already in Synthea's "Town  State  US" shape
    /// (two spaces between parts).
    static let outOfStateBirthplaces: [String] = [
        "Providence  Rhode Island  US", "Hartford  Connecticut  US",
        "Nashua  New Hampshire  US", "Burlington  Vermont  US", "Portland  Maine  US",
        "New York  New York  US", "San Juan  Puerto Rico  US", "Miami  Florida  US",
        "Chicago  Illinois  US", "Philadelphia  Pennsylvania  US",
        "Los Angeles  California  US", "Houston  Texas  US",
    ]

    static let suffixes: [StaticString] = ["PhD", "MD", "JD"]
}
