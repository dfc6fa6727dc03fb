import { xmldom } from './saml-libraries';

/** The namespaces of the SAML elements we read. */
export const NS = {
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const ELEMENT_NODE = 1;

/** The few DOM members we use, typed here so the DOM library types stay out of the project. */
export interface XmlElement {
  nodeType: number;
  namespaceURI: string | null;
  localName: string;
  textContent: string | null;
  childNodes: ArrayLike<XmlElement>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

/** An XML document that is not well-formed, or that SAML does not allow. Its message holds no content of the document. */
export class XmlRefusedError extends Error {}

/**
 * The root element of `xml`. SAML messages and metadata never carry a DTD (SAML core §1.3), so a
 * document with one is refused before parsing: no entity of any kind is ever expanded.
 */
export function parseXml(xml: string): XmlElement {
  if (/<!DOCTYPE/i.test(xml)) throw new XmlRefusedError('the XML has a DTD, which SAML does not allow');
  const refuse = (): never => {
    throw new XmlRefusedError('the XML is not well-formed');
  };
  const { DOMParser } = xmldom();
  const document = new DOMParser({ errorHandler: { warning: () => undefined, error: refuse, fatalError: refuse } }).parseFromString(xml, 'text/xml');
  const root = document.documentElement as XmlElement | null;
  if (!root) refuse();
  return root!;
}

/** The child elements of `parent` with this namespace and local name, in document order. */
export function childElements(parent: XmlElement, namespace: string, localName: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const child = parent.childNodes[i];
    if (child.nodeType === ELEMENT_NODE && child.namespaceURI === namespace && child.localName === localName) found.push(child);
  }
  return found;
}

/** The first child element of that name, or undefined. */
export function childElement(parent: XmlElement, namespace: string, localName: string): XmlElement | undefined {
  return childElements(parent, namespace, localName)[0];
}

/** Every element below `root` (and `root` itself) with this namespace and local name. */
export function descendantElements(root: XmlElement, namespace: string, localName: string): XmlElement[] {
  const found: XmlElement[] = [];
  const pending: XmlElement[] = [root];
  while (pending.length > 0) {
    const element = pending.pop()!;
    if (element.namespaceURI === namespace && element.localName === localName) found.push(element);
    for (let i = element.childNodes.length - 1; i >= 0; i--) {
      const child = element.childNodes[i];
      if (child.nodeType === ELEMENT_NODE) pending.push(child);
    }
  }
  return found;
}

/** Whether `element` has this name. */
export function isElement(element: XmlElement, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

/** The value of an attribute, or undefined when the element has none (xmldom's getAttribute says ''). */
export function attributeOf(element: XmlElement, name: string): string | undefined {
  return element.hasAttribute(name) ? (element.getAttribute(name) ?? '') : undefined;
}

/** The trimmed text of an element; empty when it has none. */
export function textOf(element: XmlElement | undefined): string {
  return (element?.textContent ?? '').trim();
}
