/** Asks for a secret on the terminal without echoing it (the grid key's passphrase). */
import { createInterface } from 'node:readline'

export function promptHidden(question: string, input = process.stdin, output = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output, terminal: true })
    // readline echoes what is typed through _writeToOutput: print the question, swallow the rest.
    const writable = rl as unknown as { _writeToOutput: (text: string) => void }
    let asked = false
    writable._writeToOutput = (text: string) => {
      if (!asked) {
        output.write(text)
        asked = true
      }
    }
    rl.on('SIGINT', () => {
      rl.close()
      reject(new Error('cancelled'))
    })
    rl.question(question, (answer) => {
      output.write('\n')
      rl.close()
      resolve(answer)
    })
  })
}
