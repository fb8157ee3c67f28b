// A GraphQL todo list with a live subscription.
// Enable it, then try in two terminals:
//   curl -N localhost:8080/graphql/stream -H 'accept: text/event-stream' \
//     -d '{"query":"subscription { exampleTodoAdded { id text } }"}'
//   curl localhost:8080/graphql -d '{"query":"mutation { exampleAddTodo(text: \"milk\") { id } }"}'
// Module state is a per-worker cache: a real app keeps todos in kv.
const TODO = `"A todo item" type ExampleTodo { id: ID! text: String! done: Boolean! }`;
const todos = [];

registerGraphQLQuery("exampleTodos", "type Query { exampleTodos: [ExampleTodo!]! } " + TODO, () => todos);

registerGraphQLMutation("exampleAddTodo", "type Mutation { exampleAddTodo(text: String!): ExampleTodo } " + TODO, (args) => {
  const todo = { id: todos.length + 1, text: args.text, done: false };
  todos.push(todo);
  sendSubscriptionMessage("exampleTodoAdded", todo);
  return todo;
});

// Returning a function makes it this subscriber's filter.
registerGraphQLSubscription(
  "exampleTodoAdded",
  "type Subscription { exampleTodoAdded(containing: String): ExampleTodo } " + TODO,
  (args) => (args.containing ? (todo) => todo.text.includes(args.containing) : undefined),
);
