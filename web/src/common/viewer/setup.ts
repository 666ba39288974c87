// One-time set-up of Cornerstone3D for our DICOMweb: the core, the DICOM
// image loader (its decoding worker and WASM codecs are bundled by Vite under
// /assets, so nothing comes from a CDN) and the WADO-RS metadata provider.
// Same origin: the share or account session cookie goes with every request.
import { init as initCore, isCornerstoneInitialized } from '@cornerstonejs/core';
import { init as initLoader } from '@cornerstonejs/dicom-image-loader';

let ready: Promise<void> | null = null;

const kFrameAccept = [
  'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.4.201',
  'multipart/related; type="application/octet-stream"; transfer-syntax=*',
].join(', ');

export function setUpCornerstone(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      if (!isCornerstoneInitialized()) initCore();
      initLoader({
        // Our WADO-RS metadata goes into the loader's own manager
        // (dicomweb.ts), which also resolves each frame of a multi-frame
        // instance from its first.
        useLegacyMetadataProvider: true,
        // Frames as the server keeps them: HTJ2K where it stores that form
        // (a fraction of the bytes over 4G, decoded here by the bundled
        // OpenJPH WASM), else as received (JPEG-LS, JPEG... decoded here
        // too), else native pixels. PS3.18 8.7.5: the order is the
        // preference; the server falls through to the next it can give.
        beforeSend: (_xhr, imageId) =>
          imageId.startsWith('wadors:') ? { Accept: kFrameAccept } : undefined,
        // A phone has few cores and little memory: two decoders at most.
        maxWebWorkers: Math.min(2, Math.max(1, (navigator.hardwareConcurrency || 2) - 1)),
      });
    })();
  }
  return ready;
}
