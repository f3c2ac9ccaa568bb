// Express 4, installed as the npm alias `express4`, has the same shape as Express 5 for what the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
