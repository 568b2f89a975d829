/**
 * Given names that people use for one another: each group is a formal name (first) and the short forms and
 * spellings people sign up with. A name may sit in several groups (`al` is Albert, Alan and Alexander), so two
 * names are nicknames of each other when some group holds both. Compiled for this project from common US usage;
 * folded like every match key (lower-case ASCII).
 */
export const NICKNAME_GROUPS: readonly (readonly string[])[] = [
  ['abigail', 'abby', 'abbie', 'gail'],
  ['abraham', 'abe', 'bram'],
  ['albert', 'al', 'bert', 'bertie'],
  ['alan', 'al', 'allen', 'allan'],
  ['alexander', 'alex', 'al', 'alec', 'sandy', 'xander', 'lex'],
  ['alexandra', 'alex', 'alexa', 'sandra', 'sandy', 'lexi', 'alexis'],
  ['alfred', 'al', 'alf', 'fred', 'freddie'],
  ['alison', 'allison', 'ali', 'allie'],
  ['amanda', 'mandy', 'manda'],
  ['andrew', 'andy', 'drew'],
  ['angela', 'angie'],
  ['anthony', 'tony', 'ant'],
  ['antonio', 'tony', 'toni'],
  ['arthur', 'art', 'artie'],
  ['barbara', 'barb', 'barbie', 'babs'],
  ['benjamin', 'ben', 'benny', 'benji'],
  ['bernard', 'bernie', 'bern'],
  ['beverly', 'bev'],
  ['bradley', 'brad'],
  ['bridget', 'bridgette', 'biddy'],
  ['calvin', 'cal'],
  ['cameron', 'cam'],
  ['carol', 'carole', 'caroline', 'carolyn', 'carrie'],
  ['catherine', 'katherine', 'kathryn', 'cathy', 'kathy', 'kate', 'katie', 'kat', 'cat', 'kitty', 'kay', 'trina'],
  ['charles', 'charlie', 'chuck', 'chas', 'chaz', 'chip', 'carl'],
  ['charlotte', 'charlie', 'lottie', 'lotte'],
  ['christina', 'christine', 'chris', 'chrissy', 'tina', 'kristina', 'kristine', 'kris', 'kristy', 'christy'],
  ['christopher', 'chris', 'topher', 'kit', 'cris'],
  ['clifford', 'cliff'],
  ['cynthia', 'cindy', 'cyndi'],
  ['daniel', 'dan', 'danny'],
  ['danielle', 'dani', 'danni'],
  ['david', 'dave', 'davey', 'davy'],
  ['deborah', 'debra', 'debbie', 'deb', 'debby'],
  ['dennis', 'denny'],
  ['donald', 'don', 'donnie', 'donny'],
  ['dorothy', 'dot', 'dottie', 'dolly', 'dora'],
  ['douglas', 'doug'],
  ['edward', 'ed', 'eddie', 'eddy', 'ned', 'ted', 'teddy'],
  ['edwin', 'ed', 'eddie'],
  ['eleanor', 'ellie', 'nell', 'nellie', 'elle', 'nora', 'lenore'],
  [
    'elizabeth',
    'liz',
    'lizzie',
    'beth',
    'betty',
    'betsy',
    'eliza',
    'libby',
    'lisa',
    'liza',
    'bess',
    'elise',
    'ellie',
    'elsie',
  ],
  ['emily', 'em', 'emmy', 'millie'],
  ['eugene', 'gene'],
  ['evelyn', 'eve', 'evie'],
  ['florence', 'flo', 'flossie'],
  ['frances', 'fran', 'frannie', 'francie'],
  ['francis', 'frank', 'fran'],
  ['franklin', 'frank', 'frankie'],
  ['frederick', 'fred', 'freddie', 'freddy', 'fritz', 'rick'],
  ['gabriel', 'gabe'],
  ['gabrielle', 'gabby', 'gabi', 'brie'],
  ['gerald', 'gerry', 'jerry'],
  ['geoffrey', 'jeffrey', 'jeff', 'geoff'],
  ['gregory', 'greg'],
  ['harold', 'hal', 'harry'],
  ['henry', 'hank', 'harry', 'hal'],
  ['herbert', 'herb', 'bert'],
  ['isabella', 'isabel', 'izzy', 'bella', 'belle'],
  ['jacob', 'jake', 'jay'],
  ['jacqueline', 'jackie', 'jacquie'],
  ['james', 'jim', 'jimmy', 'jamie', 'jimbo', 'jay'],
  ['janet', 'jan', 'jenny'],
  ['jeffery', 'jeff'],
  ['jennifer', 'jen', 'jenny', 'jenn', 'jennie'],
  ['jessica', 'jess', 'jessie'],
  ['joanne', 'joann', 'jo', 'joanna'],
  ['john', 'jack', 'johnny', 'jon', 'jonny'],
  ['jonathan', 'jon', 'johnny', 'jonny', 'nathan'],
  ['joseph', 'joe', 'joey', 'jose'],
  ['josephine', 'jo', 'josie', 'jo'],
  ['joshua', 'josh'],
  ['judith', 'judy', 'jude'],
  ['julia', 'julie', 'jules'],
  ['kenneth', 'ken', 'kenny'],
  ['kimberly', 'kim', 'kimmy'],
  ['lawrence', 'laurence', 'larry', 'laurie', 'lars'],
  ['leonard', 'leo', 'len', 'lenny', 'leon'],
  ['louis', 'lou', 'louie', 'luis'],
  ['margaret', 'maggie', 'meg', 'megan', 'peggy', 'marge', 'margie', 'greta', 'gretchen', 'madge', 'daisy', 'rita'],
  ['martha', 'marty', 'mattie', 'patty'],
  ['martin', 'marty'],
  ['mary', 'molly', 'polly', 'mae', 'mamie', 'maria', 'marie'],
  ['matthew', 'matt', 'matty'],
  ['maximilian', 'max'],
  ['maxwell', 'max'],
  ['melissa', 'mel', 'missy', 'lissa'],
  ['michael', 'mike', 'mikey', 'mick', 'mickey', 'mitch'],
  ['michelle', 'shelly', 'michele', 'shell'],
  ['mitchell', 'mitch'],
  ['nancy', 'nan', 'nance', 'ann'],
  ['natalie', 'nat', 'nattie', 'talia'],
  ['nathaniel', 'nathan', 'nate', 'nat'],
  ['nicholas', 'nick', 'nicky', 'nico', 'nik', 'klaus'],
  ['nicole', 'nikki', 'nicky', 'nic'],
  ['oliver', 'ollie'],
  ['olivia', 'liv', 'livvy', 'ollie'],
  ['pamela', 'pam', 'pammy'],
  ['patricia', 'pat', 'patty', 'patsy', 'trish', 'tricia', 'trisha'],
  ['patrick', 'pat', 'paddy', 'rick'],
  ['peter', 'pete'],
  ['philip', 'phillip', 'phil', 'pip'],
  ['rebecca', 'becky', 'becca', 'reba'],
  ['raymond', 'ray'],
  ['richard', 'rick', 'ricky', 'rich', 'richie', 'dick', 'rico'],
  ['robert', 'rob', 'robbie', 'bob', 'bobby', 'bert', 'robin'],
  ['roberta', 'bobbie', 'robin'],
  ['ronald', 'ron', 'ronnie', 'ronny'],
  ['russell', 'russ', 'rusty'],
  ['samantha', 'sam', 'sammy', 'sammie'],
  ['samuel', 'sam', 'sammy'],
  ['sandra', 'sandy', 'sandi'],
  ['stephanie', 'steph', 'stephie', 'stevie'],
  ['stephen', 'steven', 'steve', 'stevie'],
  ['susan', 'sue', 'susie', 'suzy', 'suzanne', 'susanne'],
  ['terrence', 'terence', 'terry', 'terri'],
  ['teresa', 'theresa', 'terry', 'teri', 'tess', 'tessa', 'tracy'],
  ['theodore', 'ted', 'teddy', 'theo'],
  ['thomas', 'tom', 'tommy', 'thom'],
  ['timothy', 'tim', 'timmy'],
  ['valerie', 'val'],
  ['victoria', 'vicky', 'vickie', 'tori', 'vic'],
  ['vincent', 'vince', 'vinny', 'vin'],
  ['virginia', 'ginny', 'ginger', 'jinny'],
  ['walter', 'walt', 'wally'],
  ['wesley', 'wes'],
  ['william', 'bill', 'billy', 'will', 'willie', 'willy', 'liam', 'wil'],
  ['zachary', 'zach', 'zack', 'zak'],
];

/** Each name with the groups (by index) it belongs to. */
const GROUPS_OF = new Map<string, number[]>();
NICKNAME_GROUPS.forEach((group, index) => {
  for (const name of new Set(group)) GROUPS_OF.set(name, [...(GROUPS_OF.get(name) ?? []), index]);
});

/** True when two different folded given names are nicknames or spellings of one another (`bill`/`william`). */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return false;
  const groupsOfA = GROUPS_OF.get(a);
  const groupsOfB = GROUPS_OF.get(b);
  return groupsOfA !== undefined && groupsOfB !== undefined && groupsOfA.some((g) => groupsOfB.includes(g));
}

/** The given names that are nicknames or spellings of `name` (those `areNicknames` accepts), sorted; none for most names. */
export function nicknamesOf(name: string): string[] {
  const groups = GROUPS_OF.get(name) ?? [];
  const names = new Set(groups.flatMap((g) => NICKNAME_GROUPS[g]!));
  names.delete(name);
  return [...names].sort();
}

/** Every (name, group) pair, for the SQL side of matching (the `voter_nicknames` table). */
export function nicknameRows(): Array<{ name: string; groupId: number }> {
  return [...GROUPS_OF.entries()].flatMap(([name, groups]) => groups.map((groupId) => ({ name, groupId })));
}
