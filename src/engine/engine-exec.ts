import type Docker from 'dockerode';
import type { ExecCommand, ExecIo } from './engine.js';

/**
 * Runs a command in a running container, wired to `io` (a pseudo-terminal that follows the window's size, or
 * stdout and stderr apart); resolves to its exit status. `call` turns the engine's errors into envctl's.
 */
export async function execIn(
  container: Docker.Container,
  docker: Docker,
  command: ExecCommand,
  io: ExecIo,
  call: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<number> {
  const size = command.tty ? io.size?.() : undefined;
  const exec = await call(() =>
    container.exec({
      Cmd: command.cmd,
      AttachStdin: command.interactive,
      AttachStdout: true,
      AttachStderr: true,
      Tty: command.tty,
      ...(command.user ? { User: command.user } : {}),
      // Engines of API 1.42 and later size the terminal from the start; older ones wait for the resize below.
      ...(size ? { ConsoleSize: [size.rows, size.columns] as [number, number] } : {}),
    }),
  );
  const stream = await call(() => exec.start({ hijack: true, stdin: command.interactive, Tty: command.tty }));
  const resize = () => {
    const size = io.size?.();
    if (size) exec.resize({ h: size.rows, w: size.columns }).catch(() => undefined);
  };
  const stopResizing = command.tty ? io.onResize?.(resize) : undefined;
  if (command.tty) stream.pipe(io.stdout, { end: false });
  else docker.modem.demuxStream(stream, io.stdout, io.stderr);
  if (command.interactive) io.stdin.pipe(stream);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
      if (command.tty) resize();
    });
  } finally {
    stopResizing?.();
    if (command.interactive) io.stdin.unpipe(stream);
  }
  // The stream can end a moment before the engine records the exit status.
  for (let attempt = 0; ; attempt++) {
    const info = await call(() => exec.inspect());
    if (!info.Running || attempt >= 50) return info.ExitCode ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
