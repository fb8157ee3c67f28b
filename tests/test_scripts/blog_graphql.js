// GraphQL: queries with nested objects, lists and enums; a mutation with an
// input type and a resolver named by string (the older scripts' style).
const posts = {
  1: { id: 1, title: "Hello", author: { name: "ann" }, tags: ["a", "b"], status: "PUBLISHED" },
};

const POST_TYPES = `
"A blog post"
type Post { id: ID! title: String author: User tags: [String!] status: Status }
type User { name: String }
enum Status { DRAFT PUBLISHED }`;

registerGraphQLQuery("post", "type Query { post(id: ID!): Post }" + POST_TYPES, (args) => posts[args.id] || null);
registerGraphQLQuery("hello", 'hello(name: String = "world"): String', (args, ctx) => "Hello " + args.name);
registerGraphQLQuery("whoAsks", "whoAsks: String", (args, ctx) => ctx.headers["x-who"] || "nobody");
registerGraphQLQuery("boom", "boom: String", async () => {
  await sleep(5);
  throw new Error("kaput");
});

function addPost(args) {
  const id = Object.keys(posts).length + 1;
  posts[id] = { id, title: args.input.title, tags: args.input.tags || [], status: "DRAFT" };
  return posts[id];
}
registerGraphQLMutation(
  "addPost",
  "type Mutation { addPost(input: PostInput!): Post } input PostInput { title: String! tags: [String!] }" + POST_TYPES,
  "addPost",
);
