/** One line of envctl doctor: a thing envctl needs, whether it has it, and the fix. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}
