// "Import JSON…": picks a .json file and hands it over; what it means is the caller's business.
import { Button, FileButton } from '@mantine/core';

export function ImportJsonButton({ onFile, disabled }: { onFile: (file: File) => void; disabled: boolean }) {
  return (
    <FileButton onChange={(file) => file && onFile(file)} accept="application/json,.json">
      {(props) => (
        <Button variant="light" {...props} disabled={disabled}>
          Import JSON…
        </Button>
      )}
    </FileButton>
  );
}
