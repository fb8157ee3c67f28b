// GraphQL subscriptions: a todo list. Mutations announce new todos with
// sendSubscriptionMessage (as a JSON string, like the older scripts); a
// subscription may filter by returning a function, or send a first event.
const TODO = "type Todo { id: ID! text: String! done: Boolean! }";
let next = 1;

registerGraphQLQuery("ping", "ping: String", () => "pong");

registerGraphQLMutation("addTodo", "type Mutation { addTodo(text: String!): Todo } " + TODO, (args) => {
  const todo = { id: next++, text: args.text, done: false };
  sendSubscriptionMessage("todoAdded", JSON.stringify(todo));
  return todo;
});

registerGraphQLSubscription(
  "todoAdded",
  "type Subscription { todoAdded(prefix: String): Todo } " + TODO,
  (args) => (args.prefix ? (todo) => todo.text.startsWith(args.prefix) : undefined),
);

function greet(args) {
  return "hello " + (args.name || "you");
}
registerGraphQLSubscription("greeting", "greeting(name: String): String", "greet");

registerGraphQLMutation("say", "say(text: String!): Boolean", (args) => {
  sendSubscriptionMessage("greeting", args.text);
  return true;
});
